package dev.veil.gateway.relay;

import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.ConnectException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;

/**
 * What live requests ({@link InferenceRelay}) and batch lines share when they try a route: the upstream request
 * with Veil's own headers only, the backoff before the next attempt, and the errors a failed attempt leaves.
 */
public final class Attempting {

    private static final long MAX_BACKOFF_MS = 2_000;

    private Attempting() {
    }

    /** A POST to {@code upstream} for {@code endpointPath}, with only Veil's headers and the route's credential. */
    public static RequestOptions post(Upstream upstream, String endpointPath, CharSequence accept) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(upstream.baseUrl().getHost())
                .setPort(upstream.port())
                .setSsl(upstream.ssl())
                .setURI(upstream.basePath() + endpointPath)
                .setConnectTimeout(upstream.connectTimeoutMs())
                .setIdleTimeout(upstream.idleTimeoutMs())
                .addHeader(HeaderNames.CONTENT_TYPE, HeaderNames.APPLICATION_JSON)
                .addHeader(HeaderNames.ACCEPT, accept);
        upstream.staticHeaders().forEach(options::putHeader);
        upstream.bearerToken().ifPresent(token -> options.addHeader(HeaderNames.AUTHORIZATION, "Bearer " + token));
        return options;
    }

    /** The pause before the next attempt after {@code attemptsMade}: exponential, ±50 % jitter, capped at 2 s. */
    public static long backoffMillis(RoutingConfig routing, int attemptsMade) {
        long base = routing.backoffMs() << Math.min(10, attemptsMade - 1);
        return Math.min(MAX_BACKOFF_MS, (long) (base * (0.5 + ThreadLocalRandom.current().nextDouble())));
    }

    /** The answer when every compliant route is out of rotation and no attempt left an error. */
    public static OpenAiError noHealthyRoute() {
        return new OpenAiError(503,
                "Every route that complies with this request's policy is failing and out of rotation; retry shortly.",
                OpenAiError.UPSTREAM, null, "no_healthy_route");
    }

    /** The error a connection that failed before an answer leaves: timeout 504, unreachable or broken 502. */
    public static OpenAiError connectionError(Throwable cause) {
        if (cause instanceof TimeoutException) {
            return new OpenAiError(504, "The upstream provider did not answer in time; retry later.",
                    OpenAiError.UPSTREAM, null, "upstream_timeout");
        }
        if (cause instanceof ConnectException) {
            return new OpenAiError(502, "The upstream provider could not be reached; retry later.",
                    OpenAiError.UPSTREAM, null, "upstream_unavailable");
        }
        return new OpenAiError(502, "The connection to the upstream provider failed; retry later.",
                OpenAiError.UPSTREAM, null, "upstream_connection_failed");
    }
}
