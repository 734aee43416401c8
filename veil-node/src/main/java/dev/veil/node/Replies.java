package dev.veil.node;

import dev.veil.protocol.OpenAiError;
import dev.veil.http.LingeringClose;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/** Writes complete clear responses: JSON bodies and OpenAI-shaped errors. */
final class Replies {

    static final String JSON = "application/json";

    private Replies() {
    }

    /** Ends the response with a JSON body, unless the client is already gone; completes once it is written. */
    static Future<Void> json(NodeExchange exchange, int status, byte[] body) {
        HttpServerResponse response = exchange.response();
        exchange.complete(status);
        if (response.ended() || response.closed()) {
            return Future.succeededFuture();
        }
        return response.setStatusCode(status).putHeader("content-type", JSON).putHeader("cache-control", "no-store")
                .end(Buffer.buffer(body));
    }

    /** Ends the response with an OpenAI-shaped error. */
    static void error(NodeExchange exchange, OpenAiError error) {
        HttpServerRequest request = exchange.request();
        boolean unreadInput = !request.isEnded() && request.version() != HttpVersion.HTTP_2;
        if (unreadInput) {
            // The body was not (fully) read; closing keeps an HTTP/1 connection from reading it as the next request.
            exchange.response().putHeader("connection", "close");
        }
        Future<Void> written = json(exchange, error.httpStatus(), error.toJson());
        if (unreadInput) {
            // Vert.x does not close by itself while the request is paused: close once the answer is on the wire.
            written.onComplete(done -> LingeringClose.after(request));
        }
    }
}
