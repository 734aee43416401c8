package dev.veil.gateway.http;

import dev.veil.protocol.OpenAiError;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Writes complete responses. Every response carries {@code x-request-id}; it is set when the exchange begins. */
public final class Responses {

    public static final String JSON = "application/json";

    private Responses() {
    }

    /** Ends the response with a JSON body, unless the client is already gone; completes once it is written. */
    public static Future<Void> json(HttpServerResponse response, int status, byte[] body) {
        if (response.ended() || response.closed()) {
            return Future.succeededFuture();
        }
        return response.setStatusCode(status).putHeader(HeaderNames.CONTENT_TYPE, HeaderNames.APPLICATION_JSON)
                .end(Buffer.buffer(body));
    }

    /** Ends the response with an OpenAI-shaped error; completes once it is written. */
    public static Future<Void> error(HttpServerResponse response, OpenAiError error) {
        return json(response, error.httpStatus(), error.toJson());
    }
}
