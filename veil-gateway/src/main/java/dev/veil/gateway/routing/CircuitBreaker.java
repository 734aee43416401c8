package dev.veil.gateway.routing;

import java.util.function.LongSupplier;

/**
 * Takes a failing route out of rotation and probes it back. Closed: requests flow; after {@code failureThreshold}
 * consecutive failures it opens for {@code openMillis}; then one probe request is let through (half-open), whose
 * success closes it and whose failure opens it again. Thread-safe: routes are shared by all event loops.
 */
public final class CircuitBreaker {

    /** The breaker's state. */
    public enum State { CLOSED, OPEN, HALF_OPEN }

    private final int failureThreshold;
    private final long openMillis;
    private final LongSupplier clock;

    private int consecutiveFailures;
    private long openedAt;
    private State state = State.CLOSED;
    private boolean probeInFlight;

    public CircuitBreaker(int failureThreshold, long openMillis, LongSupplier clockMillis) {
        this.failureThreshold = failureThreshold;
        this.openMillis = openMillis;
        this.clock = clockMillis;
    }

    /** Whether a request could be sent now (without taking the half-open probe slot). */
    public synchronized boolean available() {
        return switch (state) {
            case CLOSED -> true;
            case OPEN -> clock.getAsLong() - openedAt >= openMillis;
            case HALF_OPEN -> !probeInFlight;
        };
    }

    /** Takes permission to send one request; in half-open state only one probe gets it. */
    public synchronized boolean tryAcquire() {
        if (state == State.OPEN && clock.getAsLong() - openedAt >= openMillis) {
            state = State.HALF_OPEN;
            probeInFlight = false;
        }
        switch (state) {
            case CLOSED:
                return true;
            case HALF_OPEN:
                if (probeInFlight) {
                    return false;
                }
                probeInFlight = true;
                return true;
            default:
                return false;
        }
    }

    /** The route answered properly. */
    public synchronized void success() {
        consecutiveFailures = 0;
        probeInFlight = false;
        state = State.CLOSED;
    }

    /** The route failed (connect error, timeout, 429 or 5xx). */
    public synchronized void failure() {
        probeInFlight = false;
        consecutiveFailures++;
        if (state == State.HALF_OPEN || consecutiveFailures >= failureThreshold) {
            state = State.OPEN;
            openedAt = clock.getAsLong();
        }
    }

    /** An attempt that ended without a verdict on the route (the client left): frees a probe slot. */
    public synchronized void release() {
        probeInFlight = false;
    }

    public synchronized State state() {
        if (state == State.OPEN && clock.getAsLong() - openedAt >= openMillis) {
            return State.HALF_OPEN;
        }
        return state;
    }
}
