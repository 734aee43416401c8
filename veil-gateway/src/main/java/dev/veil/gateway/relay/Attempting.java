package dev.veil.gateway.relay;

import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.http.GatewayBusy;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import io.vertx.core.http.ConnectionPoolTooBusyException;
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
    /** The error code of a request refused because every pooled connection to the upstream is busy. */
    public static final String UPSTREAM_BUSY = "upstream_busy";
    /** The {@code Retry-After} (seconds) sent with {@link #UPSTREAM_BUSY}. */
    public static final String BUSY_RETRY_AFTER_SECONDS = "1";

    private Attempting() {
    }

    /**
     * A POST to {@code upstream} for {@code endpointPath}, with only Veil's headers and the route's credential.
     *
     * <p>Vert.x's request connect timeout bounds getting a connection from the pool, a queue wait included; it is set
     * to the TCP connect timeout plus the pool wait, so a connect that fails on its own fails first with a
     * {@link ConnectException} (the upstream's fault) and a bare {@link TimeoutException} here always means a local
     * wait for a busy pool ({@link #poolBusy(Throwable)}). Its idle timeout covers the wait for the response head only
     * (Vert.x cancels it when the head arrives); bodies are watched by {@link IdleWatch}.
     */
    public static RequestOptions post(Upstream upstream, String endpointPath, CharSequence accept) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(upstream.baseUrl().getHost())
                .setPort(upstream.port())
                .setSsl(upstream.ssl())
                .setURI(upstream.basePath() + endpointPath)
                .setConnectTimeout(upstream.connectTimeoutMs() + upstream.poolWaitTimeoutMs())
                .setIdleTimeout(upstream.idleTimeoutMs())
                .addHeader(HeaderNames.CONTENT_TYPE, HeaderNames.APPLICATION_JSON)
                .addHeader(HeaderNames.ACCEPT, accept);
        upstream.staticHeaders().forEach(options::putHeader);
        if (!upstream.node()) {
            // A node is never sent its secret: the request is signed once its body is known (signForNode).
            upstream.bearerToken().ifPresent(token -> options.addHeader(HeaderNames.AUTHORIZATION, "Bearer " + token));
        }
        return options;
    }

    /**
     * Signs a request to a node with the node's secret ({@link GatewaySignature}): over the method, the URI and
     * {@code body}, the exact bytes about to be sent. Does nothing for a provider, or a node with no secret (an open
     * development node). Call it last, after the URI is final.
     */
    public static RequestOptions signForNode(Upstream upstream, RequestOptions options, byte[] body) {
        if (upstream.node() && upstream.bearerToken().isPresent()) {
            options.putHeader(GatewaySignature.HEADER, GatewaySignature.sign(
                    upstream.bearerToken().get().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    options.getMethod().name(), options.getURI(), body, System.currentTimeMillis()));
        }
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

    /**
     * Whether getting a connection failed locally: the pool's wait queue was full, or the wait for a pooled connection
     * expired. Only for failures of {@code HttpClient.request(...)}, which end before anything is sent. Such a failure
     * says nothing about the upstream's health and never counts against its route.
     */
    public static boolean poolBusy(Throwable cause) {
        return cause instanceof ConnectionPoolTooBusyException
                || (cause instanceof TimeoutException && !(cause instanceof ConnectException));
    }

    /** The answer when every pooled connection to the upstream stayed busy; sent with {@code Retry-After}. */
    public static OpenAiError upstreamBusy() {
        return new OpenAiError(503, "The gateway's connections to the upstream provider are all busy; retry after "
                + BUSY_RETRY_AFTER_SECONDS + " s.", OpenAiError.UPSTREAM, null, UPSTREAM_BUSY);
    }

    /**
     * Whether {@code error} is {@link #upstreamBusy()} or the gateway's own {@link GatewayBusy}: local shortages the
     * client gets with {@code Retry-After}.
     */
    public static boolean isBusy(OpenAiError error) {
        return UPSTREAM_BUSY.equals(error.code()) || GatewayBusy.CODE.equals(error.code());
    }

    /** The answer to a 2xx that is not what was asked for (wrong content type or encoding, not JSON, usage out of range). */
    public static OpenAiError invalidResponse(String what) {
        return new OpenAiError(502, "The upstream provider sent a malformed answer (" + what + "); retry later.",
                OpenAiError.UPSTREAM, null, "upstream_invalid_response");
    }

    /**
     * The error a connection that failed before an answer was complete leaves: timeout 504, unreachable or broken 502,
     * an answer larger than the upstream's cap 502.
     */
    public static OpenAiError connectionError(Throwable cause) {
        if (cause instanceof UpstreamBody.TooLarge) {
            return new OpenAiError(502, "The upstream provider's answer exceeded the gateway's size limit for it.",
                    OpenAiError.UPSTREAM, null, "upstream_response_too_large");
        }
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

    /**
     * Why a 2xx answer's head is not acceptable, or {@code null}: a stream must be {@code text/event-stream}, a whole
     * answer JSON (or untyped), and neither may carry a content encoding, which Veil never asks for.
     */
    public static String headProblem(boolean stream, String contentType, String contentEncoding) {
        if (contentEncoding != null && !contentEncoding.isEmpty() && !contentEncoding.equalsIgnoreCase("identity")) {
            return "an unrequested content-encoding";
        }
        if (stream) {
            return contentType != null && regionMatches(contentType, "text/event-stream") ? null
                    : "a stream answer that is not text/event-stream";
        }
        if (contentType == null || regionMatches(contentType, "application/json") || contentType.contains("+json")) {
            return null;
        }
        return "a content type other than JSON";
    }

    private static boolean regionMatches(String value, String prefix) {
        return value.regionMatches(true, 0, prefix, 0, prefix.length());
    }
}
