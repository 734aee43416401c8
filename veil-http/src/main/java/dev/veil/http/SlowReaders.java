package dev.veil.http;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * What a server does with a client that stops taking a response's bytes: it waits for the response's write queue to
 * drain for at most the send timeout, then drops the client. Without this, a client that never reads holds its
 * connection, the queued bytes and, on a relay, the upstream connection (a slot of a bounded pool) until the idle
 * timeout, so a few such clients could take an upstream from everyone else.
 */
public final class SlowReaders {

    private SlowReaders() {
    }

    /**
     * Waits for the response's write queue to drain: {@code drained} runs when it does; if it has not within
     * {@code sendTimeoutMs}, the client is dropped ({@link #drop(HttpServerRequest)}) and {@code droppedFirst} runs
     * just before, so that the caller can stop what feeds the response. Call on the response's event loop, right after
     * a write left {@code writeQueueFull()} true.
     *
     * @param sendTimeoutMs the longest wait; 0 or less waits without a limit
     * @return the timer's id, for {@code Vertx.cancelTimer} when the response ends another way first; -1 when none
     */
    public static long awaitDrain(Vertx vertx, HttpServerRequest request, long sendTimeoutMs, Runnable drained,
                                  Runnable droppedFirst) {
        HttpServerResponse response = request.response();
        long timer = sendTimeoutMs <= 0 ? -1 : vertx.setTimer(sendTimeoutMs, id -> {
            response.drainHandler(null);
            droppedFirst.run();
            drop(request);
        });
        response.drainHandler(v -> {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            drained.run();
        });
        return timer;
    }

    /**
     * Drops the client at once. An HTTP/2 stream is reset (the connection's other streams go on). An HTTP/1.x
     * connection is closed at the socket: Vert.x's own close (and {@code reset()}) first flushes what is queued, which a
     * client that reads nothing never lets happen, so it would hold the connection and its buffers until the idle
     * timeout.
     */
    public static void drop(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        // HTTP/1.x responses have no stream id (-1).
        if (response.streamId() < 0 && request.connection() instanceof ConnectionBase base) {
            // Closed from the pipeline's head: a close that passes through Vert.x's own handler waits for the queued
            // bytes to be flushed first (measured: the connection stayed open until the idle timeout).
            base.channel().pipeline().firstContext().close();
        } else {
            response.reset();
        }
    }
}
