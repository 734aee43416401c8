package dev.veil.gateway.relay;

import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.routing.CircuitBreaker;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.protocol.OpenAiError;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One request's walk through its candidate routes, shared by the live relay ({@link InferenceRelay}) and the batch
 * runner: candidates in the planner's order (each compliant with the effective policy), skipping routes whose
 * circuit breaker is open, at most {@code routing.max_attempts} attempts, exponential backoff with jitter between
 * them. The caller sends each attempt and reports how it ended: {@link #failed} (the upstream's fault: counts against
 * the route), {@link #busy} (a local wait for a pooled connection: does not), {@link #retry} (another reason to move
 * on). When the candidates or attempts run out, {@code exhausted} gets the last attempt's error (or
 * {@code no_healthy_route} when none was made). Confined to one event loop.
 */
public final class AttemptWalker {

    /** Sends one attempt to {@code route}; the attempt holds {@code breaker}'s permit until it reports. */
    public interface Sender {
        void send(Route route, CircuitBreaker breaker);
    }

    private final Vertx vertx;
    private final RoutingConfig routing;
    private final RouteHealth health;
    private final List<Route> candidates;
    private final Sender sender;
    private final Consumer<OpenAiError> exhausted;
    private final BooleanSupplier abandoned;
    private int next;
    private int made;
    private OpenAiError lastError;
    private Route lastRoute;

    /**
     * @param abandoned true once nobody waits for the outcome any more (the client left): the walk stops
     */
    public AttemptWalker(Vertx vertx, RoutingConfig routing, RouteHealth health, List<Route> candidates, Sender sender,
                         Consumer<OpenAiError> exhausted, BooleanSupplier abandoned) {
        this.vertx = vertx;
        this.routing = routing;
        this.health = health;
        this.candidates = candidates;
        this.sender = sender;
        this.exhausted = exhausted;
        this.abandoned = abandoned;
    }

    /** Sends the first attempt (or reports exhaustion at once when every candidate's breaker is open). */
    public void start() {
        next();
    }

    private void next() {
        if (abandoned.getAsBoolean()) {
            return;
        }
        while (next < candidates.size() && made < routing.maxAttempts()) {
            Route route = candidates.get(next++);
            CircuitBreaker breaker = health.breaker(route);
            if (!breaker.tryAcquire()) {
                continue;
            }
            made++;
            lastRoute = route;
            sender.send(route, breaker);
            return;
        }
        exhausted.accept(lastError != null ? lastError : Attempting.noHealthyRoute());
    }

    /** The attempt failed because of the upstream: it counts against the route; the next candidate is tried. */
    public void failed(Route route, CircuitBreaker breaker, OpenAiError error) {
        breaker.failure();
        health.stats(route).failure();
        retry(error);
    }

    /**
     * Every pooled connection to the upstream stayed busy (or the wait queue was full): a local condition that says
     * nothing about the upstream's health, so it never counts against the route; another candidate may have room.
     */
    public void busy(CircuitBreaker breaker) {
        breaker.release();
        retry(Attempting.upstreamBusy());
    }

    /** Moves on to the next candidate after the backoff, remembering {@code error} as the outcome so far. */
    public void retry(OpenAiError error) {
        lastError = error;
        boolean more = next < candidates.size() && made < routing.maxAttempts();
        if (!more) {
            next();
            return;
        }
        long delay = Attempting.backoffMillis(routing, made);
        if (delay <= 0) {
            next();
        } else {
            vertx.setTimer(delay, id -> next());
        }
    }

    /** The route of the latest attempt, or {@code null} when none was made. */
    public Route lastRoute() {
        return lastRoute;
    }
}
