package dev.veil.protocol.attestation.nvidia;

import java.util.Arrays;

/**
 * Compares NVIDIA version strings as their numbering means them: a driver version ({@code 550.90.07}) number by
 * number in decimal, a VBIOS version ({@code 96.00.9F.00.04}) field by field in hex. Never as text
 * ({@code "535.x" > "1000.x"} as text).
 */
final class GpuVersions {

    private GpuVersions() {
    }

    /** The driver version's numbers; throws naming the value when it is not dot-separated decimal numbers. */
    static long[] driver(String version) {
        return parse(version, 10, "driver");
    }

    /** The VBIOS version's fields; throws naming the value when it is not dot-separated hex fields. */
    static long[] vbios(String version) {
        return parse(version, 16, "VBIOS");
    }

    /** Negative, zero or positive as {@code a} is older than, equal to or newer than {@code b}. */
    static int compare(long[] a, long[] b) {
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            long x = i < a.length ? a[i] : 0;
            long y = i < b.length ? b[i] : 0;
            if (x != y) {
                return Long.compare(x, y);
            }
        }
        return 0;
    }

    private static long[] parse(String version, int radix, String what) {
        if (version == null || version.isBlank() || version.length() > 64) {
            throw new IllegalArgumentException("a " + what + " version is dot-separated numbers, e.g. "
                    + (radix == 10 ? "550.90.07" : "96.00.9F.00.04"));
        }
        try {
            return Arrays.stream(version.strip().split("\\.")).mapToLong(part -> Long.parseLong(part, radix)).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + version + "' is not a " + what + " version (dot-separated "
                    + (radix == 10 ? "decimal" : "hex") + " numbers)");
        }
    }
}
