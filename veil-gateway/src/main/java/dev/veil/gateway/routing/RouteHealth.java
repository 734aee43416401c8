package dev.veil.gateway.routing;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** The circuit breaker and statistics of every route, keyed by model and route name. */
public final class RouteHealth {

    private final ConcurrentHashMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, RouteStats> stats = new ConcurrentHashMap<>();
    private final int failureThreshold;
    private final long openMillis;
    private final LongSupplier clock;

    public RouteHealth(int failureThreshold, long openMillis, LongSupplier clockMillis) {
        this.failureThreshold = failureThreshold;
        this.openMillis = openMillis;
        this.clock = clockMillis;
    }

    public CircuitBreaker breaker(Route route) {
        return breakers.computeIfAbsent(key(route), k -> new CircuitBreaker(failureThreshold, openMillis, clock));
    }

    public RouteStats stats(Route route) {
        return stats.computeIfAbsent(key(route), k -> new RouteStats());
    }

    private static String key(Route route) {
        return route.modelId() + '\u0000' + route.name();
    }
}
