package dev.veil.gateway.http;

import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body into request-scoped memory, refusing it as soon as it passes the size limit (by its declared
 * length before reading, or by counting while reading).
 */
public final class BodyReader {

    /** The first allocation for a body; it doubles as bytes arrive, up to the limit. */
    static final int INITIAL_CAPACITY = 4096;

    private BodyReader() {
    }

    public static Future<byte[]> read(HttpServerRequest request, long limit) {
        String declared = request.getHeader("content-length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > limit) {
                    return Future.failedFuture(tooLarge(limit));
                }
            } catch (NumberFormatException e) {
                return Future.failedFuture(new InvalidRequestException(OpenAiError.invalidRequest(
                        "The Content-Length header is not a number.", null, "invalid_content_length")));
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

    private static InvalidRequestException tooLarge(long limit) {
        return new InvalidRequestException(new OpenAiError(413,
                "The request body is larger than this gateway's limit of " + limit + " bytes; send a smaller request.",
                OpenAiError.INVALID_REQUEST, null, "request_too_large"));
    }
}
