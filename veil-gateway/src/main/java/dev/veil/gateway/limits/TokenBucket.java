package dev.veil.gateway.limits;

/**
 * A token bucket refilled continuously: {@code perMinute} tokens a minute, holding at most {@code perMinute}. Taking
 * may drive it below zero (tokens are settled after the fact), which then delays the next admission. Not thread-safe;
 * {@link LocalRateLimiter} guards it.
 */
final class TokenBucket {

    private final double capacity;
    private final double perMilli;
    private double tokens;
    private long updatedAt;

    TokenBucket(int perMinute, long nowMillis) {
        this.capacity = perMinute;
        this.perMilli = perMinute / 60_000.0;
        this.tokens = perMinute;
        this.updatedAt = nowMillis;
    }

    private void refill(long now) {
        if (now > updatedAt) {
            tokens = Math.min(capacity, tokens + (now - updatedAt) * perMilli);
            updatedAt = now;
        }
    }

    /** Whether at least {@code amount} is available now. */
    boolean has(double amount, long now) {
        refill(now);
        return tokens >= amount;
    }

    void take(double amount, long now) {
        refill(now);
        tokens -= amount;
    }

    long remaining(long now) {
        refill(now);
        return (long) Math.max(0, Math.floor(tokens));
    }

    long limit() {
        return (long) capacity;
    }

    /** Milliseconds until {@code amount} is available. */
    long millisUntil(double amount, long now) {
        refill(now);
        return tokens >= amount ? 0 : (long) Math.ceil((amount - tokens) / perMilli);
    }

    /** Milliseconds until the bucket is full again. */
    long millisUntilFull(long now) {
        return millisUntil(capacity, now);
    }
}
