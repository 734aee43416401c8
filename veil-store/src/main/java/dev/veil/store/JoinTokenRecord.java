package dev.veil.store;

import java.time.Instant;
import java.util.List;

/**
 * A join token as stored: only its hash, never the token.
 *
 * @param models    the public model ids a node that joins with it may serve
 * @param expiresAt when it stops admitting joins, or null for never
 * @param revokedAt when the operator revoked it, or null
 */
public record JoinTokenRecord(String id, String tokenHash, String label, List<String> models, Instant createdAt,
                              Instant expiresAt, Instant revokedAt) {

    public JoinTokenRecord {
        models = List.copyOf(models);
    }

    /** Whether a node may join with it at {@code now}. */
    public boolean usable(Instant now) {
        return revokedAt == null && (expiresAt == null || now.isBefore(expiresAt));
    }
}
