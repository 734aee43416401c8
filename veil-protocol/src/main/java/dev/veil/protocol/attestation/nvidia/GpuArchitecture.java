package dev.veil.protocol.attestation.nvidia;

import java.util.Locale;

/**
 * The NVIDIA GPU architectures whose confidential-computing evidence Veil verifies. The architecture is read from the
 * device certificate (its subject names the chip: {@code GH100 A01 GSP FMC LF}, {@code GB100 A01 GSP FMC LF}), never
 * taken from an unsigned label.
 */
public enum GpuArchitecture {
    /** H100, H200 (chip GH100): FWID in NVIDIA's extension {@code 2.23.133.5.4.1}. */
    HOPPER("GH100"),
    /** B200 (chip GB100): FWID in a TCG DICE TcbInfo extension {@code 2.23.133.5.4.1.1}. */
    BLACKWELL("GB100");

    private final String chip;

    GpuArchitecture(String chip) {
        this.chip = chip;
    }

    /** The chip name as NVIDIA's certificates and RIMs spell it. */
    public String chip() {
        return chip;
    }

    /** The architecture of a device certificate subject common name, or null when it is none Veil knows. */
    static GpuArchitecture ofCommonName(String cn) {
        for (GpuArchitecture a : values()) {
            if (cn != null && cn.startsWith(a.chip + " ")) {
                return a;
            }
        }
        return null;
    }

    /** Parses {@code hopper} / {@code blackwell} (any case). */
    public static GpuArchitecture parse(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("unknown GPU architecture '" + name + "' (known: hopper, blackwell)");
        }
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
