package dev.veil.gateway.http;

import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.http.BoundedBody;
import dev.veil.http.MemoryBudget;
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

    /** The body of {@code request}, at most {@code limit} bytes; refusals as OpenAI errors. */
    public static Future<byte[]> read(HttpServerRequest request, long limit) {
        return read(request, limit, null);
    }

    /**
     * As {@link #read(HttpServerRequest, long)}, holding the body's bytes in {@code budget} until the response ends;
     * when the budget is spent the client gets 503 {@code gateway_busy} with {@code Retry-After}.
     */
    public static Future<byte[]> read(HttpServerRequest request, long limit, MemoryBudget budget) {
        return BoundedBody.read(request, limit, budget).recover(failure -> {
            if (failure instanceof MemoryBudget.Exhausted) {
                request.response().putHeader("retry-after", GatewayBusy.RETRY_AFTER_SECONDS);
                return Future.failedFuture(new InvalidRequestException(GatewayBusy.error()));
            }
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
