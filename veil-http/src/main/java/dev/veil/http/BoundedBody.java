package dev.veil.http;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body into memory, refusing it as soon as it passes the size limit: by its declared length before
 * reading anything, or by counting while reading. The buffer grows with what arrives; it is never sized by the declared
 * {@code Content-Length}, which a client can state and not send. Each server maps the two failures to its own answer.
 */
public final class BoundedBody {

    /**
     * The largest first allocation for a body; it doubles as bytes arrive, up to the limit. A declared length below it
     * is allocated exactly (most requests are a few hundred bytes, and a stream keeps its request for its whole life:
     * 5,000 streams with 4 KiB each would be 20 MB of a small heap); a larger one is believed only this far.
     */
    static final int MAX_FIRST_CAPACITY = 4096;

    /** The first allocation when no length is declared (chunked). */
    static final int CHUNKED_FIRST_CAPACITY = 1024;

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
        String declared = request.getHeader("content-length");
        int firstCapacity = CHUNKED_FIRST_CAPACITY;
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
            firstCapacity = (int) Math.min(MAX_FIRST_CAPACITY, length);
        }
        Reader reader = new Reader(request, limit, firstCapacity);
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
        private Buffer body;

        Reader(HttpServerRequest request, long limit, int firstCapacity) {
            this.request = request;
            this.limit = limit;
            this.body = Buffer.buffer(Math.max(firstCapacity, 16));
        }

        void chunk(Buffer chunk) {
            if (body == null) {
                return;
            }
            if (body.length() + chunk.length() > limit) {
                body = null;
                request.handler(null);
                promise.tryFail(new TooLarge());
                return;
            }
            body.appendBuffer(chunk);
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
            promise.tryFail(failure);
        }
    }
}
