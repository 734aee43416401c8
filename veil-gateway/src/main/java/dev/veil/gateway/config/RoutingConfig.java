package dev.veil.gateway.config;

/**
 * How Veil retries, falls back and takes failing routes out. Retries and fallbacks only ever go to routes that comply
 * with the request's effective policy, and only before any byte has been sent to the client.
 *
 * @param maxAttempts     upstream attempts per request, across routes and fallback models; default 3
 * @param backoffMs       pause before the second attempt, doubling for each further one (with jitter); default 50
 * @param breakerFailures consecutive failures that open a route's circuit breaker; default 5
 * @param breakerOpenMs   how long an open breaker keeps the route out before one probe request; default 30000
 */
public record RoutingConfig(int maxAttempts, long backoffMs, int breakerFailures, long breakerOpenMs) {

    public static final int DEFAULT_MAX_ATTEMPTS = 3;
    public static final long DEFAULT_BACKOFF_MS = 50;
    public static final int DEFAULT_BREAKER_FAILURES = 5;
    public static final long DEFAULT_BREAKER_OPEN_MS = 30_000;

    public static RoutingConfig defaults() {
        return new RoutingConfig(DEFAULT_MAX_ATTEMPTS, DEFAULT_BACKOFF_MS, DEFAULT_BREAKER_FAILURES, DEFAULT_BREAKER_OPEN_MS);
    }
}
