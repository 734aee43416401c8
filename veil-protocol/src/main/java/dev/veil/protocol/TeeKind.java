package dev.veil.protocol;

import java.util.Locale;

/** The kind of Trusted Execution Environment a route runs in, as its data policy declares it. */
public enum TeeKind {
    NONE,
    SEV_SNP,
    TDX,
    /** Development only: no hardware, labelled as simulated everywhere it shows. */
    SIMULATED;

    /** The wire name, e.g. {@code "sev-snp"}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses a wire name.
     *
     * @throws IllegalArgumentException naming the accepted values when {@code value} is not one of them
     */
    public static TeeKind fromWireName(String value) {
        for (TeeKind kind : values()) {
            if (kind.wireName().equals(value)) {
                return kind;
            }
        }
        throw new IllegalArgumentException("unknown tee kind; expected one of none, sev-snp, tdx, simulated");
    }
}
