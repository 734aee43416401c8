package dev.veil.gateway.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.ApiKeyRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an {@code Authorization: Bearer} header into an API key. Keys are looked up by the SHA-256 of the secret,
 * first in a short-lived cache, then in the store on the JDBC worker pool, so the event loop never blocks. The
 * cache's lifetime bounds how long a key revoked from another process keeps working; a revocation through this
 * gateway's admin API takes effect at once.
 */
public final class KeyAuthenticator {

    private static final String BEARER = "Bearer ";

    private final ApiKeyRepository keys;
    private final WorkerExecutor jdbc;
    /** How long a key accepted from the store is still accepted while the store cannot be reached. */
    static final Duration STORE_OUTAGE_GRACE = Duration.ofMinutes(5);
    private static final Logger LOG = LoggerFactory.getLogger(KeyAuthenticator.class);

    private final Cache<String, Optional<ApiKeyRecord>> cache;
    /** Active keys by secret hash, as last read from the store: served only while the store cannot be reached. */
    private final Cache<String, ApiKeyRecord> lastKnown;
    private volatile boolean storeFailing;

    public KeyAuthenticator(ApiKeyRepository keys, WorkerExecutor jdbc, Duration cacheTtl) {
        this.keys = keys;
        this.jdbc = jdbc;
        this.cache = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(cacheTtl).build();
        this.lastKnown = Caffeine.newBuilder().maximumSize(100_000).expireAfterWrite(STORE_OUTAGE_GRACE).build();
    }

    /** Resolves the caller's key; fails with {@link AuthenticationException} when it is missing, unknown or revoked. */
    public Future<ApiKeyRecord> authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Future.failedFuture(new AuthenticationException(
                    "You didn't provide an API key. Send it as an 'Authorization: Bearer <key>' header; "
                            + "'veil keys create' or the admin API makes one.", "missing_api_key"));
        }
        if (!authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Future.failedFuture(invalid());
        }
        String hash = ApiKeyIssuer.hashSecret(authorization.substring(BEARER.length()).trim());
        Optional<ApiKeyRecord> cached = cache.getIfPresent(hash);
        if (cached != null) {
            return accept(cached);
        }
        return jdbc.<Optional<ApiKeyRecord>>executeBlocking(() -> keys.findBySecretHash(hash), false)
                .compose(found -> {
                    cache.put(hash, found);
                    found.filter(ApiKeyRecord::active).ifPresentOrElse(k -> lastKnown.put(hash, k),
                            () -> lastKnown.invalidate(hash));
                    storeFailing = false;
                    return accept(found);
                }, failure -> {
                    // The store could not be asked. A key accepted within the grace is served as it was: no
                    // revocation can be committed while the store is down, and one committed just before is seen
                    // by the change poll within a second (docs/deployment.md).
                    if (!storeFailing) {
                        storeFailing = true;
                        LOG.warn("key lookup failed ({}); keys accepted in the last {} min are served from memory "
                                + "until the store answers", failure.getClass().getSimpleName(), STORE_OUTAGE_GRACE.toMinutes());
                    }
                    ApiKeyRecord known = lastKnown.getIfPresent(hash);
                    return known != null ? Future.succeededFuture(known)
                            : Future.failedFuture(AuthenticationException.storeUnavailable());
                });
    }

    /** Forgets every cached lookup, e.g. after a key was revoked. */
    public void invalidateAll() {
        cache.invalidateAll();
        lastKnown.invalidateAll();
    }

    private static Future<ApiKeyRecord> accept(Optional<ApiKeyRecord> key) {
        if (key.isPresent() && key.get().active()) {
            return Future.succeededFuture(key.get());
        }
        return Future.failedFuture(invalid());
    }

    private static AuthenticationException invalid() {
        return new AuthenticationException(
                "Incorrect API key provided, or the key was revoked. Check the key, or create a new one with 'veil keys create'.",
                "invalid_api_key");
    }
}
