package dev.veil.http;

import dev.veil.protocol.OpenAiError;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.Supplier;

/**
 * Answers requests the HTTP decoder refused (Vert.x's invalid-request handler) in OpenAI's error shape instead of a bare
 * status line. Vert.x closes the connection once the answer is written, so nothing after such a request is read.
 */
public final class InvalidRequests implements Handler<HttpServerRequest> {

    private final String product;
    private final Supplier<String> requestIds;

    /**
     * @param product    how the server names itself in messages, e.g. "gateway"
     * @param requestIds the server's request ids, for the {@code x-request-id} header
     */
    public InvalidRequests(String product, Supplier<String> requestIds) {
        this.product = product;
        this.requestIds = requestIds;
    }

    @Override
    public void handle(HttpServerRequest request) {
        OpenAiError error = error(request.decoderResult().cause());
        request.response().setStatusCode(error.httpStatus())
                .putHeader("x-request-id", requestIds.get())
                .putHeader("content-type", "application/json")
                .putHeader("connection", "close")
                .end(Buffer.buffer(error.toJson()));
    }

    OpenAiError error(Throwable cause) {
        if (cause instanceof TooLongHttpLineException) {
            return new OpenAiError(414, "The request line is longer than this " + product + " accepts; shorten the URL.",
                    OpenAiError.INVALID_REQUEST, null, "request_line_too_long");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new OpenAiError(431, "The request headers are larger than this " + product + " accepts; send fewer or "
                    + "shorter headers.", OpenAiError.INVALID_REQUEST, null, "headers_too_large");
        }
        if (cause instanceof StrictRequestDecoder.FramingException framing) {
            String message = StrictRequestDecoder.CONFLICTING_LENGTH.equals(framing.getMessage())
                    ? "The request has both Content-Length and Transfer-Encoding; send exactly one of them."
                    : "The request's Transfer-Encoding is not supported; send \"Transfer-Encoding: chunked\" or a "
                    + "Content-Length.";
            return OpenAiError.invalidRequest(message, null, framing.getMessage());
        }
        return OpenAiError.invalidRequest("The request is not valid HTTP/1.1 (RFC 9112); check its request line, "
                + "headers and body framing.", null, "invalid_http_request");
    }
}
