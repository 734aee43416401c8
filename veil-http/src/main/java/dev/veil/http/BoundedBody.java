package dev.veil.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body into memory, refusing it as soon as it passes the size limit: by its declared length before
 * reading anything, or by counting while reading. The buffer grows with what arrives; it is never sized by the declared
 * {@code Content-Length}, which a client can state and not send. Each server maps the two failures to its own answer.
 */
public final class BoundedBody {

    /**
     * The first allocation for a body; it doubles as bytes arrive, up to the limit. Never sized by the declared
     * {@code Content-Length} (a claim a client need not keep), and small: most requests are a few hundred bytes.
     */
    static final int FIRST_CAPACITY = 512;

    /** The body is (or was declared) over the limit. */
    public static final class TooLarge extends Exception {
        TooLarge() {
            super("request body over the limit", null, false, false);
        }
    }

    /** The {@code Content-Length} header is not a number. */
    public static final class BadLength extends Exception {
        BadLength() {
            super("bad content-length", null, false, false);
        }
    }

    private BoundedBody() {
    }

    /**
     * The whole body of {@code request}, at most {@code limit} bytes. Fails with {@link TooLarge}, {@link BadLength}, or
     * the connection's failure (e.g. {@code HttpClosedException} when the client leaves or a timeout closed it).
     */
    public static Future<byte[]> read(HttpServerRequest request, long limit) {
        return read(request, limit, null);
    }

    /**
     * As {@link #read(HttpServerRequest, long)}, with the body's bytes reserved in {@code budget} as they arrive and
     * held until the request's response ends (or its connection closes): the whole time the exchange keeps the body.
     * Fails with {@link MemoryBudget.Exhausted} when the budget is spent; nothing of the body is then kept.
     */
    public static Future<byte[]> read(HttpServerRequest request, long limit, MemoryBudget budget) {
        String declared = request.getHeader("content-length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                return Future.failedFuture(new BadLength());
            }
            if (length > limit) {
                return Future.failedFuture(new TooLarge());
            }
        }
        if (request.response().closed()) {
            // The connection closed while the caller waited (authentication, admission): its close was reported before
            // any handler below existed, so none of them would ever fire. Nothing is read and nothing reserved.
            return Future.failedFuture(new HttpClosedException("the client left before its body was read"));
        }
        Reader reader = new Reader(request, limit, budget);
        if (budget != null) {
            // Fires once: when the response ends, or when the connection closes before it does.
            request.response().endHandler(v -> reader.releaseBudget());
        }
        request.handler(reader::chunk);
        request.endHandler(v -> reader.end());
        request.exceptionHandler(reader::fail);
        return reader.promise.future();
    }

    /**
     * One body being read. The request keeps its handlers (and so this reader) until the exchange ends, which for a
     * stream is long after the body was read: the buffer is dropped as soon as the body is complete or refused.
     */
    private static final class Reader {
        private final HttpServerRequest request;
        private final long limit;
        private final Promise<byte[]> promise = Promise.promise();
        private final MemoryBudget budget;
        private long reserved;
        private boolean released;
        private Buffer body;

        Reader(HttpServerRequest request, long limit, MemoryBudget budget) {
            this.request = request;
            this.limit = limit;
            this.budget = budget;
            this.body = Buffer.buffer(FIRST_CAPACITY);
        }

        void chunk(Buffer chunk) {
            if (body == null) {
                return;
            }
            if (body.length() + chunk.length() > limit) {
                refuse(new TooLarge());
                return;
            }
            if (budget != null) {
                if (released || !budget.tryReserve(chunk.length())) {
                    refuse(budget.exhausted());
                    return;
                }
                reserved += chunk.length();
            }
            body.appendBuffer(chunk);
        }

        private void refuse(Exception why) {
            body = null;
            request.handler(null);
            releaseBudget();
            promise.tryFail(why);
        }

        void releaseBudget() {
            if (budget != null && !released) {
                released = true;
                budget.release(reserved);
                reserved = 0;
            }
        }

        void end() {
            if (body != null) {
                byte[] bytes = body.getBytes();
                body = null;
                promise.tryComplete(bytes);
            }
        }

        void fail(Throwable failure) {
            body = null;
            releaseBudget();
            promise.tryFail(failure);
        }
    }
}
