package dev.veil.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A dashboard session as the store keeps it: never the session id itself, only its hash.
 *
 * @param idHash    lowercase hex SHA-256 of the session id the browser holds
 * @param role      {@link #OPERATOR} (logged in with the admin token) or {@link #KEY_OWNER} (with an API key)
 * @param keyId     for a key owner, the id of the key it logged in with; {@code null} for the operator
 * @param createdAt when the session began
 * @param expiresAt when it ends, whatever happens
 */
public record DashboardSession(String idHash, String role, String keyId, Instant createdAt, Instant expiresAt) {

    public static final String OPERATOR = "operator";
    public static final String KEY_OWNER = "key_owner";

    public DashboardSession {
        Objects.requireNonNull(idHash, "idHash");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(expiresAt, "expiresAt");
        if (!OPERATOR.equals(role) && !KEY_OWNER.equals(role)) {
            throw new IllegalArgumentException("role must be operator or key_owner");
        }
        if (KEY_OWNER.equals(role) == (keyId == null)) {
            throw new IllegalArgumentException("a key owner's session names its key, an operator's none");
        }
    }
}
