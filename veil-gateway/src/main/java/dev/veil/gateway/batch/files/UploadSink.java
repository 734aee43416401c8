package dev.veil.gateway.batch.files;

import dev.veil.protocol.stream.StreamSealer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.nio.file.Path;

/**
 * Streams an upload into one encrypted part on an event loop: each buffer goes through the {@link StreamSealer}
 * (CPU only) and the ciphertext to a Vert.x {@link AsyncFile} (whose writes run off the loop), pausing the upload while
 * the file's write queue is full. Plaintext is never written anywhere; a size limit is enforced as bytes arrive.
 */
public final class UploadSink {

    private final AsyncFile file;
    private final StreamSealer sealer;
    private final long limit;
    private boolean tooLarge;

    private UploadSink(AsyncFile file, byte[] dataKey, byte[] aad, long limit) {
        this.file = file;
        this.limit = limit;
        this.sealer = new StreamSealer(dataKey, aad, bytes -> file.write(Buffer.buffer(bytes)));
    }

    /** Opens part 0 of {@code fileId} for an upload (creating its directory). */
    public static Future<UploadSink> open(Vertx vertx, EncryptedFiles files, String fileId, byte[] dataKey, long limit) {
        Path path = files.part(fileId, 0);
        return vertx.fileSystem().mkdirs(path.getParent().toString())
                .compose(v -> vertx.fileSystem().open(path.toString(),
                        new OpenOptions().setWrite(true).setCreateNew(true).setDsync(false)))
                .map(file -> new UploadSink(file, dataKey, EncryptedFiles.aad(fileId, 0), limit));
    }

    /**
     * Encrypts and queues more of the upload.
     *
     * @return false when the upload passed the size limit (nothing more is taken; {@link #tooLarge()} is then true)
     */
    public boolean accept(byte[] data, int offset, int length) {
        if (tooLarge) {
            return false;
        }
        if (sealer.plaintextBytes() + length > limit) {
            tooLarge = true;
            return false;
        }
        sealer.update(data, offset, length);
        return true;
    }

    /** Whether the file's write queue is full: pause the upload until {@link #drainHandler} fires. */
    public boolean writeQueueFull() {
        return file.writeQueueFull();
    }

    public void drainHandler(io.vertx.core.Handler<Void> handler) {
        file.drainHandler(handler);
    }

    /** Writes the final segment and flushes the file to disk; completes with the plaintext size. */
    public Future<Long> finish() {
        sealer.finish();
        return file.flush().compose(x -> file.close()).map(x -> sealer.plaintextBytes());
    }

    public boolean tooLarge() {
        return tooLarge;
    }

    /** Closes the file after a failed upload (its bytes are then deleted by the caller). */
    public Future<Void> abort() {
        return file.close().recover(t -> Future.succeededFuture());
    }
}
