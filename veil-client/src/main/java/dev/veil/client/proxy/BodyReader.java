package dev.veil.client.proxy;

import dev.veil.protocol.OpenAiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/** Reads a request body, refusing it (413) as soon as it passes the size limit. */
final class BodyReader {

    /** A refusal that is answered as is. */
    static final class Refused extends Exception {
        final transient OpenAiError error;

        Refused(OpenAiError error) {
            super(error.code(), null, false, false);
            this.error = error;
        }
    }

    /** The first allocation for a body; it doubles as bytes arrive, up to the limit. */
    static final int INITIAL_CAPACITY = 4096;

    private BodyReader() {
    }

    static Future<byte[]> read(HttpServerRequest request, long limit) {
        String declared = request.getHeader("content-length");
        long length = -1;
        if (declared != null) {
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                return Future.failedFuture(new Refused(OpenAiError.invalidRequest(
                        "The Content-Length header is not a number.", null, "invalid_content_length")));
            }
            if (length > limit) {
                return Future.failedFuture(tooLarge(limit));
            }
        }
        Promise<byte[]> promise = Promise.promise();
        // Grows with what arrives; never sized by the declared length, which a client can state and not send.
        Buffer body = Buffer.buffer(INITIAL_CAPACITY);
        request.handler(chunk -> {
            if (body.length() + chunk.length() > limit) {
                request.handler(null);
                promise.tryFail(tooLarge(limit));
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> promise.tryComplete(body.getBytes()));
        request.exceptionHandler(promise::tryFail);
        return promise.future();
    }

    private static Refused tooLarge(long limit) {
        return new Refused(new OpenAiError(413, "The request body is larger than the proxy's limit of " + limit
                + " bytes; send a smaller request.", OpenAiError.INVALID_REQUEST, null, "request_too_large"));
    }
}
