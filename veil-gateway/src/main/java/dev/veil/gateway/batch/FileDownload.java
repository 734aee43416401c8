package dev.veil.gateway.batch;

import dev.veil.http.SlowReaders;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.InputStream;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one file's plaintext to a client with backpressure, without holding a worker while the client is slow.
 *
 * <p>A worker of the I/O pool reads and decrypts one piece ({@value #PIECE} bytes, one at-rest segment) and returns at
 * once; the event loop writes the piece and asks for the next one only when the response's write queue has room again
 * (its drain handler). So a client that reads slowly, or never, holds no thread: only its socket, its open file and at
 * most one piece in the write queue. A client that takes nothing for {@code idleTimeoutMs} is disconnected. The
 * decrypting stream is opened with the first piece and closed (on a worker) when the file has been sent, when reading
 * fails, or when the client leaves.
 *
 * <p>All state is confined to the request's event-loop context; the worker only ever touches the stream, one piece at
 * a time, and never while another piece is being read.
 */
final class FileDownload {

    /** Bytes read and decrypted per worker task: one segment of the at-rest encryption. */
    static final int PIECE = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(FileDownload.class);

    private final Vertx vertx;
    private final Context context;
    private final WorkerExecutor io;
    private final HttpServerResponse response;
    private final HttpServerRequest request;
    private final Callable<InputStream> opener;
    private final long idleTimeoutMs;
    private final String requestId;
    private final String fileId;

    /** Opened and read on workers, one task at a time; closed by the last of them. */
    private volatile InputStream in;
    private boolean reading;
    private boolean finished;
    private long idleTimer = -1;

    /**
     * @param context  the request's event-loop context (the response's)
     * @param opener   opens the decrypting stream; called on a worker
     * @param idleTimeoutMs how long the client may take nothing before it is disconnected
     */
    FileDownload(Vertx vertx, Context context, WorkerExecutor io, HttpServerRequest request, Callable<InputStream> opener,
                 long idleTimeoutMs, String requestId, String fileId) {
        this.vertx = vertx;
        this.context = context;
        this.io = io;
        this.response = request.response();
        this.request = request;
        this.opener = opener;
        this.idleTimeoutMs = idleTimeoutMs;
        this.requestId = requestId;
        this.fileId = fileId;
    }

    /** Starts sending; the status and headers must be set. Call on {@code context}. */
    void start() {
        response.closeHandler(v -> finish());
        readNext();
    }

    private void readNext() {
        if (finished) {
            return;
        }
        if (response.closed()) {
            finish();
            return;
        }
        reading = true;
        io.<Buffer>executeBlocking(this::readPiece, false).onComplete(result -> onContext(() -> {
            reading = false;
            if (finished) {
                closeStream();
            } else if (result.failed()) {
                LOG.warn("request_id={} file_id={} download ended early: {}", requestId, fileId,
                        result.cause().getClass().getSimpleName());
                finish();
                // Ends the connection, so the client sees a truncated body rather than a complete-looking one.
                abort();
            } else if (result.result() == null) {
                finish();
                if (!response.ended() && !response.closed()) {
                    response.end();
                }
            } else {
                write(result.result());
            }
        }));
    }

    private void write(Buffer piece) {
        if (response.closed()) {
            finish();
            return;
        }
        response.write(piece);
        if (!response.writeQueueFull()) {
            readNext();
            return;
        }
        idleTimer = SlowReaders.awaitDrain(vertx, request, idleTimeoutMs, () -> {
            idleTimer = -1;
            readNext();
        }, () -> {
            idleTimer = -1;
            LOG.debug("request_id={} file_id={} download closed: the client took nothing for {} ms", requestId, fileId,
                    idleTimeoutMs);
            finish();
        });
    }

    /** Drops the download at once (see {@link SlowReaders#drop}). */
    private void abort() {
        SlowReaders.drop(request);
    }

    /** On a worker: the next piece of plaintext, or null at the end of the file. */
    private Buffer readPiece() throws Exception {
        if (in == null) {
            in = opener.call();
        }
        byte[] piece = new byte[PIECE];
        int filled = 0;
        while (filled < PIECE) {
            int n = in.read(piece, filled, PIECE - filled);
            if (n < 0) {
                break;
            }
            filled += n;
        }
        return filled == 0 ? null : Buffer.buffer(filled).appendBytes(piece, 0, filled);
    }

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        cancelIdleTimer();
        response.drainHandler(null);
        if (!reading) {
            closeStream();
        }
    }

    private void cancelIdleTimer() {
        if (idleTimer >= 0) {
            vertx.cancelTimer(idleTimer);
            idleTimer = -1;
        }
    }

    /** Closes the decrypting stream on a worker (file I/O stays off the event loop). */
    private void closeStream() {
        InputStream open = in;
        in = null;
        if (open == null) {
            return;
        }
        io.executeBlocking(() -> {
            open.close();
            return null;
        }, false).onFailure(t -> LOG.debug("file_id={} stream not closed cleanly: {}", fileId, t.getClass().getSimpleName()));
    }

    private void onContext(Runnable action) {
        if (Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }
}
