package dev.veil.gateway.http;

import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.http.BoundedBody;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;

/**
 * Reads a request body into request-scoped memory with {@link BoundedBody} (never pre-sized from the declared length),
 * turning its refusals into the gateway's OpenAI errors.
 */
public final class BodyReader {

    private BodyReader() {
    }

    public static Future<byte[]> read(HttpServerRequest request, long limit) {
        return BoundedBody.read(request, limit).recover(failure -> {
            if (failure instanceof BoundedBody.TooLarge) {
                return Future.failedFuture(new InvalidRequestException(new OpenAiError(413,
                        "The request body is larger than this gateway's limit of " + limit
                                + " bytes; send a smaller request.", OpenAiError.INVALID_REQUEST, null, "request_too_large")));
            }
            if (failure instanceof BoundedBody.BadLength) {
                return Future.failedFuture(new InvalidRequestException(OpenAiError.invalidRequest(
                        "The Content-Length header is not a number.", null, "invalid_content_length")));
            }
            return Future.failedFuture(failure);
        });
    }
}
