package dev.veil.gateway.config;

import java.util.List;

/**
 * The operator's attestation policy for nodes: a node is admitted (and kept) only while its evidence verifies against
 * it. Simulated evidence is refused unless {@code allowSimulated} is set (development only).
 *
 * @param allowedFormats      evidence formats accepted: sev-snp, tdx, simulated; empty = every hardware format
 * @param allowedMeasurements measurements (hex) accepted; empty = any
 * @param allowSimulated      accept {@code simulated} evidence (no hardware TEE); default false
 * @param reattestIntervalMs  how often each node is re-attested with a fresh nonce; default 600000 (10 min)
 * @param tdxCollateralDir    directory of Intel collateral (TCB info, QE identity, CRLs) for TDX nodes; without it
 *                            TDX evidence is refused
 */
public record AttestationConfig(List<String> allowedFormats, List<String> allowedMeasurements, boolean allowSimulated,
                                long reattestIntervalMs, String tdxCollateralDir) {

    public AttestationConfig(List<String> allowedFormats, List<String> allowedMeasurements, boolean allowSimulated,
                             long reattestIntervalMs) {
        this(allowedFormats, allowedMeasurements, allowSimulated, reattestIntervalMs, null);
    }

    public static final long DEFAULT_REATTEST_INTERVAL_MS = 600_000;

    public AttestationConfig {
        allowedFormats = allowedFormats == null ? List.of() : List.copyOf(allowedFormats);
        allowedMeasurements = allowedMeasurements == null ? List.of() : List.copyOf(allowedMeasurements);
    }

    public static AttestationConfig defaults() {
        return new AttestationConfig(List.of(), List.of(), false, DEFAULT_REATTEST_INTERVAL_MS, null);
    }
}
