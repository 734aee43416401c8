package dev.veil.gateway.http;

import dev.veil.gateway.auth.AuthenticationException;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.http.LingeringClose;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.http.HttpClosedException;
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
        if (failure instanceof HttpClosedException) {
            // The client left (or a request timeout closed its connection) before the body was read: nobody to answer.
            meter.complete(exchange, Exchange.CLIENT_CLOSED);
        } else if (failure instanceof AuthenticationException e) {
            if (e.retryAfterSeconds() > 0) {
                exchange.response().putHeader("retry-after", Integer.toString(e.retryAfterSeconds()));
            }
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
        boolean unreadInput = !request.isEnded() && request.version() != HttpVersion.HTTP_2;
        if (unreadInput) {
            // The body was not (fully) read; closing keeps an HTTP/1 connection from reading it as the next request.
            response.putHeader("connection", "close");
        }
        meter.complete(exchange, error.httpStatus());
        var written = Responses.error(response, error);
        if (unreadInput) {
            // Vert.x does not close by itself while the request is paused: close once the answer is on the wire.
            written.onComplete(done -> LingeringClose.after(request));
        }
    }

    public void fail(Exchange exchange, Throwable failure) {
        LOG.error("request_id={} endpoint={} failed internally: {}", exchange.requestId(), exchange.endpoint(),
                failure.getClass().getName());
        error(exchange, new OpenAiError(500, "The gateway failed to handle this request; the request id identifies it in "
                + "the gateway's logs.", OpenAiError.SERVER, null, "internal_error"));
    }
}
