package dev.veil.gateway.relay;

import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.routing.CircuitBreaker;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.function.Consumer;

/**
 * One live request's walk through its candidate routes, as every live relay keeps it (the chat relay for the OpenAI
 * endpoints, the Messages relay): the walker, whether the client left or delivery began, and the attempt in flight.
 * What the relays did alike with it lives here once: watching for a client that leaves before delivery (metered
 * once, the attempt in flight reset, its breaker permit freed), starting the walk, and the head of the answer when the
 * walk gave up. A relay's own attempt state extends it. Confined to the request's event loop.
 */
public class LiveAttempts {

    /** The client's exchange. */
    public final Exchange exchange;
    /** The request's event loop's Vert.x. */
    public final Vertx vertx;
    /** The walk through the candidates (breakers, attempts, backoff); set by {@link #walk}. */
    public AttemptWalker walker;
    /** The client left before delivery began: nothing more is sent or tried. */
    public boolean clientGone;
    /** An answer is being delivered: from then on its own handlers own the client connection. */
    public boolean delivering;
    /** The upstream request of the attempt in flight, reset when the client leaves. */
    public HttpClientRequest inFlight;
    /** The breaker permit the attempt in flight holds, freed when the client leaves. */
    public CircuitBreaker inFlightBreaker;

    protected LiveAttempts(Exchange exchange, Vertx vertx) {
        this.exchange = exchange;
        this.vertx = vertx;
    }

    /**
     * Watches the client until delivery begins, then starts the walk.
     *
     * @param sender  sends one attempt
     * @param giveUp  answers the error once the walk is exhausted
     */
    public final void walk(RequestMeter meter, RoutingConfig routing, RouteHealth health, List<Route> candidates,
                           AttemptWalker.Sender sender, Consumer<OpenAiError> giveUp) {
        HttpServerResponse response = exchange.response();
        response.closeHandler(v -> {
            if (!response.ended() && !delivering) {
                clientGone = true;
                meter.complete(exchange, Exchange.CLIENT_CLOSED);
                if (inFlight != null) {
                    inFlight.reset();
                }
                if (inFlightBreaker != null) {
                    inFlightBreaker.release();
                }
            }
        });
        walker = new AttemptWalker(vertx, routing, health, candidates, sender, giveUp, () -> clientGone);
        walker.start();
    }

    /**
     * The head of the error answer once the walk gave up, metered: the last route tried and its privacy mode, and
     * {@code Retry-After} when the gateway or the upstreams were busy. The caller writes the body in its endpoint's
     * shape.
     *
     * @return false when the client is gone and nothing is to be written
     */
    public final boolean errorHead(RequestMeter meter, OpenAiError error) {
        if (clientGone) {
            return false;
        }
        HttpServerResponse response = exchange.response();
        Route lastRoute = walker.lastRoute();
        if (lastRoute != null) {
            response.putHeader(HeaderNames.VEIL_ROUTE, lastRoute.name());
            response.putHeader(HeaderNames.VEIL_MODE, lastRoute.mode().wireName());
        }
        if (Attempting.isBusy(error)) {
            response.putHeader(HttpHeaders.RETRY_AFTER, Attempting.BUSY_RETRY_AFTER_SECONDS);
        }
        meter.complete(exchange, error.httpStatus());
        return true;
    }

    /**
     * Counts an upstream's error status against its route: 429 and 5xx are the upstream's failure (and worth another
     * candidate), any other status a healthy upstream refusing this request.
     *
     * @return whether another candidate may be tried
     */
    public static boolean countErrorStatus(int status, CircuitBreaker breaker, RouteHealth health, Route route) {
        boolean retryable = status == 429 || status >= 500;
        if (retryable) {
            breaker.failure();
            health.stats(route).failure();
        } else {
            // The upstream is healthy; the request itself was refused. Trying elsewhere would not help.
            breaker.success();
        }
        return retryable;
    }
}
