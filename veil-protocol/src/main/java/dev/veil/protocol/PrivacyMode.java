package dev.veil.protocol;

import java.util.Locale;

/**
 * The privacy guarantee a route (and so a model) gives, in rising strength. Each mode includes every guarantee of the
 * modes before it.
 */
public enum PrivacyMode {
    /** The caller's identity never reaches the provider; the provider still sees and may keep the content. */
    ANONYMIZED,
    /** Zero retention and no training at the provider. */
    PRIVATE,
    /** Private, and the model runs in a hardware Trusted Execution Environment. */
    TEE,
    /** TEE, and the request is encrypted end to end to a key bound into the TEE's attestation. */
    E2EE;

    /** The wire name, e.g. {@code "private"}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** True when this mode gives at least the guarantees of {@code other}. */
    public boolean atLeast(PrivacyMode other) {
        return compareTo(other) >= 0;
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code value} is not one of them
     */
    public static PrivacyMode fromWireName(String value) {
        for (PrivacyMode mode : values()) {
            if (mode.wireName().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("unknown privacy mode; expected one of anonymized, private, tee, e2ee");
    }
}
