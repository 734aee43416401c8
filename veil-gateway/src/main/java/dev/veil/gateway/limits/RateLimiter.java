package dev.veil.gateway.limits;

import dev.veil.protocol.KeyPolicy;
import io.vertx.core.Future;

/**
 * Counts a key's requests, tokens and in-flight requests against its {@code rpm}, {@code tpm} and
 * {@code max_concurrent}: in this process ({@link LocalRateLimiter}) or shared by every gateway instance
 * ({@link SharedRateLimiter}). Only called for keys that have at least one of these limits.
 */
public interface RateLimiter {

    /**
     * Decides whether a request of the key may start now and counts it when admitted.
     *
     * @param keyId  the key's id (a shared limiter keys its counters by a hash of it)
     * @param policy the key's current policy
     * @param live   true for a client request, which holds an in-flight slot under {@code max_concurrent}; false for
     *               a batch line (batches have their own concurrency)
     */
    Future<Admission> admit(String keyId, KeyPolicy policy, boolean live);

    /** Counts the tokens a completed request used against {@code tpm}. */
    void settle(String keyId, KeyPolicy policy, long tokens);

    /** Counts the cost of a completed request of a key with a budget. */
    void settleSpend(String keyId, long costMicros);

    /**
     * The cost settled for the key at or after {@code sinceMillis} (epoch milliseconds), at least the last
     * {@value #SPEND_HORIZON_MILLIS} ms of it: what the usage ledger may not hold yet. Fails with {@link Unavailable}
     * when a shared limiter cannot count and fails closed.
     */
    Future<Long> spendSince(String keyId, long sinceMillis);

    /** How long settled spend is remembered: longer than the ledger refresh plus the metering lag. */
    long SPEND_HORIZON_MILLIS = 180_000;

    /** The shared limiter cannot be reached and the deployment fails closed. */
    final class Unavailable extends RuntimeException {
        /** What a request gets meanwhile: 503 {@code rate_limiter_unavailable} with {@code Retry-After}. */
        static final Admission ADMISSION = new Admission(LimitReplies.unavailable(),
                java.util.Map.of(LimitReplies.RETRY_AFTER, "1"));

        Unavailable() {
            super("the shared rate limiter cannot be reached", null, false, false);
        }
    }

    /** Stops background work (lease renewal); the limiter is not used afterwards. */
    default void close() {
    }
}
