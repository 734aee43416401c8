package dev.veil.gateway.http;

import dev.veil.gateway.auth.AuthenticationException;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends an exchange and meters it, the same way for every handler: a JSON answer, an OpenAI-shaped error, or a 500
 * without detail for an unexpected failure (logged by exception class only: messages may quote input).
 */
public final class Replies {

    private static final Logger LOG = LoggerFactory.getLogger(Replies.class);

    private final RequestMeter meter;

    public Replies(RequestMeter meter) {
        this.meter = meter;
    }

    public void ok(Exchange exchange, byte[] body) {
        meter.complete(exchange, 200);
        Responses.json(exchange.response(), 200, body);
    }

    public void methodNotAllowed(Exchange exchange, String allowed) {
        exchange.response().putHeader("allow", allowed);
        error(exchange, new OpenAiError(405, "This path accepts only " + allowed + ".", OpenAiError.INVALID_REQUEST, null,
                "method_not_allowed"));
    }

    /** Answers a failed future: its OpenAI error when it carries one, else a 500. */
    public void failWith(Exchange exchange, Throwable failure) {
        if (failure instanceof AuthenticationException e) {
            error(exchange, e.error());
        } else if (failure instanceof InvalidRequestException e) {
            error(exchange, e.error());
        } else {
            fail(exchange, failure);
        }
    }

    public void error(Exchange exchange, OpenAiError error) {
        HttpServerResponse response = exchange.response();
        HttpServerRequest request = exchange.request();
        if (!request.isEnded() && request.version() != HttpVersion.HTTP_2) {
            // The body was not (fully) read; closing keeps an HTTP/1 connection from reading it as the next request.
            response.putHeader("connection", "close");
        }
        meter.complete(exchange, error.httpStatus());
        Responses.error(response, error);
    }

    public void fail(Exchange exchange, Throwable failure) {
        LOG.error("request_id={} endpoint={} failed internally: {}", exchange.requestId(), exchange.endpoint(),
                failure.getClass().getName());
        error(exchange, new OpenAiError(500, "The gateway failed to handle this request; the request id identifies it in "
                + "the gateway's logs.", OpenAiError.SERVER, null, "internal_error"));
    }
}
