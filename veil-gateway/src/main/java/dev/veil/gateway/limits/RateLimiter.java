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

    /** Stops background work (lease renewal); the limiter is not used afterwards. */
    default void close() {
    }
}
