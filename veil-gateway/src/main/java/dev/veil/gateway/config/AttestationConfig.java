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
 * @param gpuCollateralDir    directory of NVIDIA collateral (driver and VBIOS RIMs, OCSP responses) for nodes with
 *                            confidential GPUs; without it their GPU evidence is refused
 * @param allowedGpuArchitectures GPU architectures accepted ({@code hopper}, {@code blackwell}); empty = both
 * @param minGpus             verified GPUs every node's evidence must carry; default 0 (every GPU report present must
 *                            verify whatever this says)
 */
public record AttestationConfig(List<String> allowedFormats, List<String> allowedMeasurements, boolean allowSimulated,
                                long reattestIntervalMs, String tdxCollateralDir, String gpuCollateralDir,
                                List<String> allowedGpuArchitectures, int minGpus) {

    public AttestationConfig(List<String> allowedFormats, List<String> allowedMeasurements, boolean allowSimulated,
                             long reattestIntervalMs) {
        this(allowedFormats, allowedMeasurements, allowSimulated, reattestIntervalMs, null, null, List.of(), 0);
    }

    public static final long DEFAULT_REATTEST_INTERVAL_MS = 600_000;

    public AttestationConfig {
        allowedFormats = allowedFormats == null ? List.of() : List.copyOf(allowedFormats);
        allowedMeasurements = allowedMeasurements == null ? List.of() : List.copyOf(allowedMeasurements);
        allowedGpuArchitectures = allowedGpuArchitectures == null ? List.of() : List.copyOf(allowedGpuArchitectures);
    }

    /** This configuration requiring {@code count} verified GPUs of every node. */
    public AttestationConfig withMinGpus(int count) {
        return new AttestationConfig(allowedFormats, allowedMeasurements, allowSimulated, reattestIntervalMs,
                tdxCollateralDir, gpuCollateralDir, allowedGpuArchitectures, count);
    }

    public static AttestationConfig defaults() {
        return new AttestationConfig(List.of(), List.of(), false, DEFAULT_REATTEST_INTERVAL_MS);
    }
}
