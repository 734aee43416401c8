package dev.veil.gateway.relay;

import dev.veil.http.MemoryBudget;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;

/**
 * Reads an upstream answer's body incrementally, counting bytes against a cap and watching for silence between them
 * ({@link IdleWatch}). The buffer grows with what arrives, never sized by a declared {@code Content-Length}. When the
 * cap or the idle timeout is exceeded the upstream request is reset, which closes its connection: nothing more of it is
 * read.
 */
public final class UpstreamBody {

    /** An upstream answer exceeded the cap for it. Carries no content. */
    public static final class TooLarge extends RuntimeException {
        TooLarge() {
            super("the upstream answer exceeded its size cap", null, false, false);
        }
    }

    private UpstreamBody() {
    }

    /** The whole body; fails with {@link TooLarge} past {@code maxBytes}, with {@link IdleWatch.Expired} on silence. */
    public static Future<Buffer> whole(Vertx vertx, HttpClientResponse response, long maxBytes, long idleMillis) {
        return read(vertx, response, maxBytes, idleMillis, false, null);
    }

    /**
     * As {@link #whole(Vertx, HttpClientResponse, long, long)}, with the bytes reserved in {@code budget} while they
     * are read and released when reading ends: what bounds many large answers arriving at once. Fails with
     * {@link MemoryBudget.Exhausted} (the upstream request is then reset) when the budget is spent.
     */
    public static Future<Buffer> whole(Vertx vertx, HttpClientResponse response, long maxBytes, long idleMillis,
                                       MemoryBudget budget) {
        return read(vertx, response, maxBytes, idleMillis, false, budget);
    }

    /**
     * At most the first {@code maxBytes} of the body (enough to map an error answer); the rest is not read: the request
     * is reset instead.
     */
    public static Future<Buffer> prefix(Vertx vertx, HttpClientResponse response, long maxBytes, long idleMillis) {
        return read(vertx, response, maxBytes, idleMillis, true, null);
    }

    private static Future<Buffer> read(Vertx vertx, HttpClientResponse response, long maxBytes, long idleMillis,
                                       boolean prefix, MemoryBudget budget) {
        Promise<Buffer> promise = Promise.promise();
        Buffer body = Buffer.buffer();
        if (budget != null) {
            // Whatever ends the read (the body, a cap, silence, a reset) releases what it reserved.
            promise.future().onComplete(done -> budget.release(body.length()));
        }
        IdleWatch watch = IdleWatch.start(vertx, idleMillis, () -> {
            if (promise.tryFail(new IdleWatch.Expired())) {
                response.request().reset();
            }
        });
        response.handler(chunk -> {
            if (promise.future().isComplete()) {
                return;
            }
            watch.touch();
            long room = maxBytes - body.length();
            if (chunk.length() <= room) {
                if (budget != null && !budget.tryReserve(chunk.length())) {
                    watch.stop();
                    // An answer that alone outgrows the whole budget can never be read here: it is too large, and
                    // retrying it elsewhere for the same memory would only repeat it. Otherwise the gateway is short
                    // of room for now (other bodies hold the budget).
                    boolean neverFits = body.length() + (long) chunk.length() > budget.limit();
                    promise.tryFail(neverFits ? new TooLarge() : budget.exhausted());
                    response.request().reset();
                    return;
                }
                body.appendBuffer(chunk);
                return;
            }
            watch.stop();
            if (prefix) {
                body.appendBuffer(chunk, 0, (int) room);
                promise.tryComplete(body);
            } else {
                promise.tryFail(new TooLarge());
            }
            response.request().reset();
        });
        response.exceptionHandler(failure -> {
            watch.stop();
            promise.tryFail(failure);
        });
        response.endHandler(v -> {
            watch.stop();
            promise.tryComplete(body);
        });
        return promise.future();
    }
}
