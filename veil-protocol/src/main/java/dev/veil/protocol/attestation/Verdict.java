package dev.veil.protocol.attestation;

import java.util.List;

/**
 * The outcome of verifying one piece of hardware evidence: every check in order, and what the evidence attests.
 * Verification stops trusting the evidence at the first failed check, but the verdict still lists it with its reason.
 *
 * @param format      {@code sev-snp}, {@code tdx} or {@code nvidia-gpu}
 * @param checks      the checks made, in order
 * @param reportData  the report data the evidence signs: 64 bytes for SEV-SNP and TDX, the 32-byte nonce for a GPU
 *                    (present even when a check failed)
 * @param measurement the launch measurement in lower-case hex (SNP MEASUREMENT, TDX MRTD; for a GPU, SHA-384 of the
 *                    signed measurement record)
 */
public record Verdict(String format, List<Check> checks, byte[] reportData, String measurement) {

    public Verdict {
        checks = List.copyOf(checks);
    }

    /** True only when there is at least one check and every check passed. */
    public boolean passed() {
        return !checks.isEmpty() && checks.stream().allMatch(Check::passed);
    }

    /** The first failed check, or null. */
    public Check firstFailure() {
        return checks.stream().filter(c -> !c.passed()).findFirst().orElse(null);
    }
}
