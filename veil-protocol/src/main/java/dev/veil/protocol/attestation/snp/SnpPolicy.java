package dev.veil.protocol.attestation.snp;

import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What an SEV-SNP report must show beyond being authentic. {@link #defaults()} refuses debug guests, requires VMPL 0,
 * accepts any measurement, TCB and report data and both VCEK and VLEK signatures.
 *
 * @param allowDebug          whether a guest whose policy allows debugging (POLICY bit 19) may pass; false unless
 *                            explicitly set, since the host can read such a guest's memory
 * @param minimumTcb          the lowest acceptable REPORTED_TCB per component, or null for none (an FMC minimum
 *                            applies to Turin only)
 * @param allowedMeasurements MEASUREMENT values (96 hex digits) accepted; empty = any
 * @param maxVmpl             the highest VMPL (0 to 3) the report may have been requested at
 * @param requiredVmpl        the exact VMPL (0 to 3) required, or -1 for any up to {@code maxVmpl}
 * @param requiredReportData  the 64 bytes REPORT_DATA must equal, or null for no requirement
 * @param allowedSigningKeys  which endorsement keys may have signed the report; empty = VCEK and VLEK
 */
public record SnpPolicy(boolean allowDebug, TcbVersion minimumTcb, Set<String> allowedMeasurements, int maxVmpl,
                        int requiredVmpl, byte[] requiredReportData, Set<SigningKeyKind> allowedSigningKeys) {

    private static final HexFormat HEX = HexFormat.of();

    public SnpPolicy {
        allowedMeasurements = allowedMeasurements == null ? Set.of() : allowedMeasurements.stream()
                .map(SnpPolicy::measurement).collect(Collectors.toUnmodifiableSet());
        if (maxVmpl < 0 || maxVmpl > 3) {
            throw new IllegalArgumentException("maxVmpl must be 0 to 3");
        }
        if (requiredVmpl < -1 || requiredVmpl > 3) {
            throw new IllegalArgumentException("requiredVmpl must be 0 to 3, or -1 for any");
        }
        if (requiredReportData != null) {
            if (requiredReportData.length != 64) {
                throw new IllegalArgumentException("requiredReportData must have 64 bytes");
            }
            requiredReportData = requiredReportData.clone();
        }
        if (allowedSigningKeys == null || allowedSigningKeys.isEmpty()) {
            allowedSigningKeys = Set.of(SigningKeyKind.VCEK, SigningKeyKind.VLEK);
        } else {
            if (allowedSigningKeys.contains(SigningKeyKind.NONE)) {
                throw new IllegalArgumentException("an unsigned report can never be accepted");
            }
            allowedSigningKeys = Set.copyOf(allowedSigningKeys);
        }
    }

    private static String measurement(String hex) {
        String m = hex.toLowerCase(Locale.ROOT);
        if (m.length() != 96 || !m.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            throw new IllegalArgumentException("a measurement is 48 bytes in hex (96 digits): " + hex);
        }
        return m;
    }

    /** Debug refused, VMPL 0, any measurement, TCB and report data, VCEK or VLEK. */
    public static SnpPolicy defaults() {
        return new SnpPolicy(false, null, Set.of(), 0, -1, null, Set.of());
    }

    @Override
    public byte[] requiredReportData() {
        return requiredReportData == null ? null : requiredReportData.clone();
    }

    /** This policy, but accepting debug guests (development only: a debug guest has no confidentiality). */
    public SnpPolicy allowingDebug() {
        return new SnpPolicy(true, minimumTcb, allowedMeasurements, maxVmpl, requiredVmpl, requiredReportData,
                allowedSigningKeys);
    }

    /** This policy with a minimum REPORTED_TCB. */
    public SnpPolicy withMinimumTcb(TcbVersion minimum) {
        return new SnpPolicy(allowDebug, minimum, allowedMeasurements, maxVmpl, requiredVmpl, requiredReportData,
                allowedSigningKeys);
    }

    /** This policy accepting only {@code measurements} (hex). */
    public SnpPolicy withAllowedMeasurements(Set<String> measurements) {
        return new SnpPolicy(allowDebug, minimumTcb, measurements, maxVmpl, requiredVmpl, requiredReportData,
                allowedSigningKeys);
    }

    /** This policy accepting VMPLs up to {@code max}. */
    public SnpPolicy withMaxVmpl(int max) {
        return new SnpPolicy(allowDebug, minimumTcb, allowedMeasurements, max, requiredVmpl, requiredReportData,
                allowedSigningKeys);
    }

    /** This policy requiring exactly VMPL {@code vmpl} (and allowing it as a maximum). */
    public SnpPolicy withRequiredVmpl(int vmpl) {
        return new SnpPolicy(allowDebug, minimumTcb, allowedMeasurements, Math.max(maxVmpl, vmpl), vmpl,
                requiredReportData, allowedSigningKeys);
    }

    /** This policy requiring REPORT_DATA to equal {@code reportData} (64 bytes). */
    public SnpPolicy withReportData(byte[] reportData) {
        return new SnpPolicy(allowDebug, minimumTcb, allowedMeasurements, maxVmpl, requiredVmpl, reportData,
                allowedSigningKeys);
    }

    /** This policy accepting reports signed by {@code kinds} only. */
    public SnpPolicy withSigningKeys(Set<SigningKeyKind> kinds) {
        return new SnpPolicy(allowDebug, minimumTcb, allowedMeasurements, maxVmpl, requiredVmpl, requiredReportData,
                kinds);
    }

    @Override
    public String toString() {
        return "SnpPolicy[allowDebug=" + allowDebug + ", minimumTcb=" + minimumTcb + ", allowedMeasurements="
                + allowedMeasurements + ", maxVmpl=" + maxVmpl + ", requiredVmpl=" + requiredVmpl
                + ", requiredReportData=" + (requiredReportData == null ? "none" : HEX.formatHex(requiredReportData))
                + ", allowedSigningKeys=" + EnumSet.copyOf(allowedSigningKeys) + "]";
    }
}
