package dev.veil.node;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body into memory, refusing it as soon as it passes the size limit: by its declared length before
 * reading anything, or by counting while reading.
 */
final class BodyReader {

    /** The body is over the limit. */
    static final class TooLarge extends Exception {
        TooLarge() {
            super("request body over the limit", null, false, false);
        }
    }

    /** The Content-Length header is not a number. */
    static final class BadLength extends Exception {
        BadLength() {
            super("bad content-length", null, false, false);
        }
    }

    /** The first allocation for a body; it doubles as bytes arrive, up to the limit. */
    static final int INITIAL_CAPACITY = 4096;

    private BodyReader() {
    }

    static Future<byte[]> read(HttpServerRequest request, long limit) {
        String declared = request.getHeader("content-length");
        long expected = -1;
        if (declared != null) {
            try {
                expected = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                return Future.failedFuture(new BadLength());
            }
            if (expected > limit) {
                return Future.failedFuture(new TooLarge());
            }
        }
        Promise<byte[]> promise = Promise.promise();
        // Grows with what arrives; never sized by the declared length, which a client can state and not send.
        Buffer body = Buffer.buffer(INITIAL_CAPACITY);
        request.handler(chunk -> {
            if (body.length() + chunk.length() > limit) {
                request.handler(null);
                promise.tryFail(new TooLarge());
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> promise.tryComplete(body.getBytes()));
        request.exceptionHandler(promise::tryFail);
        return promise.future();
    }
}
