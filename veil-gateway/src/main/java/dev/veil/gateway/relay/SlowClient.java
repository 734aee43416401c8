package dev.veil.gateway.relay;

import dev.veil.gateway.http.Exchange;
import dev.veil.http.SlowReaders;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure from a slow client to the upstream, as every relay that streams does it (chat, Messages, a node's
 * answer): when the client's write queue is full the upstream is paused, and its silence meanwhile is not the
 * upstream's (the idle watch waits too); a client that takes nothing for the send timeout is dropped, after which the
 * response's close handler meters it and resets the upstream request.
 */
public final class SlowClient {

    private static final Logger LOG = LoggerFactory.getLogger(SlowClient.class);

    private SlowClient() {
    }

    /**
     * Writes nothing; when {@code response}'s write queue is full, holds {@code upstream} until the client drains.
     *
     * @return the drain timer's id while the upstream is held, else -1; the caller cancels it when the client leaves
     */
    public static long holdIfFull(Vertx vertx, Exchange exchange, HttpServerResponse response, HttpClientResponse upstream,
                                  IdleWatch watch, long sendTimeoutMs, Runnable released) {
        if (response.closed() || !response.writeQueueFull()) {
            return -1;
        }
        upstream.pause();
        watch.suspend();
        return SlowReaders.awaitDrain(vertx, exchange.request(), sendTimeoutMs, () -> {
            released.run();
            watch.resume();
            upstream.resume();
        }, () -> LOG.debug("request_id={} client took nothing for {} ms: dropped", exchange.requestId(), sendTimeoutMs));
    }
}
