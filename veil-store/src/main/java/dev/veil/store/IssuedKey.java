package dev.veil.store;

import java.util.Objects;

/**
 * A freshly issued key: the record to store and the secret to hand to the caller exactly once. The secret is not kept
 * anywhere else.
 *
 * @param record the record to insert
 * @param secret the plaintext secret; never printed by {@link #toString()}
 */
public record IssuedKey(ApiKeyRecord record, String secret) {

    /** Rejects missing fields. */
    public IssuedKey {
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(secret, "secret");
    }

    /** Omits the secret so an accidental log line cannot leak it. */
    @Override
    public String toString() {
        return "IssuedKey[record=" + record + ", secret=<redacted>]";
    }
}
