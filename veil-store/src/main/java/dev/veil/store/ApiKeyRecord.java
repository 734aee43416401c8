package dev.veil.store;

import dev.veil.protocol.KeyPolicy;
import java.time.Instant;
import java.util.Objects;

/**
 * An API key as stored: never the secret itself, only its SHA-256 hash and its last four characters.
 *
 * @param id         the public key id, e.g. {@code key_0123456789abcdef}
 * @param name       the operator's label for the key
 * @param secretHash lowercase hex SHA-256 of the secret (see {@link ApiKeyIssuer#hashSecret}); never printed
 * @param secretHint the last four characters of the secret, so operators can tell keys apart
 * @param createdAt  when the key was issued (stored at millisecond precision)
 * @param revokedAt  when the key was revoked; {@code null} while active
 * @param policy     what the key may do; never {@code null} ({@code null} is taken as
 *                   {@link KeyPolicy#UNRESTRICTED})
 */
public record ApiKeyRecord(String id, String name, String secretHash, String secretHint, Instant createdAt,
                           Instant revokedAt, KeyPolicy policy) {

    /** Rejects missing required fields; a missing policy is {@link KeyPolicy#UNRESTRICTED}. */
    public ApiKeyRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(secretHash, "secretHash");
        Objects.requireNonNull(secretHint, "secretHint");
        Objects.requireNonNull(createdAt, "createdAt");
        policy = policy == null ? KeyPolicy.UNRESTRICTED : policy;
    }

    /** A key with {@link KeyPolicy#UNRESTRICTED} as its policy. */
    public ApiKeyRecord(String id, String name, String secretHash, String secretHint, Instant createdAt,
                        Instant revokedAt) {
        this(id, name, secretHash, secretHint, createdAt, revokedAt, KeyPolicy.UNRESTRICTED);
    }

    /** This key with another policy. */
    public ApiKeyRecord withPolicy(KeyPolicy newPolicy) {
        return new ApiKeyRecord(id, name, secretHash, secretHint, createdAt, revokedAt, newPolicy);
    }

    /** True while the key has not been revoked. */
    public boolean active() {
        return revokedAt == null;
    }

    /** Omits the hash: it is a credential verifier and has no place in logs. */
    @Override
    public String toString() {
        return "ApiKeyRecord[id=" + id + ", name=" + name + ", secretHash=<redacted>, secretHint=" + secretHint
                + ", createdAt=" + createdAt + ", revokedAt=" + revokedAt + ", policy=" + policy + "]";
    }
}
