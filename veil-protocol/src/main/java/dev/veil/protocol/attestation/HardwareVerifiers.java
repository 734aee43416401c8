package dev.veil.protocol.attestation;

import dev.veil.protocol.attestation.nvidia.GpuCollateral;
import dev.veil.protocol.attestation.nvidia.GpuPolicy;
import dev.veil.protocol.attestation.nvidia.GpuVerifier;
import dev.veil.protocol.attestation.nvidia.NvidiaGpuReportVerifier;
import dev.veil.protocol.attestation.snp.SnpCertificateTable;
import dev.veil.protocol.attestation.snp.SnpFormatVerifier;
import dev.veil.protocol.attestation.snp.SnpPolicy;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import dev.veil.protocol.attestation.tdx.TdxFormatVerifier;
import dev.veil.protocol.attestation.tdx.TdxPolicy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The hardware format verifiers a gateway or client registers with {@link AttestationVerifier}, so evidence is checked
 * by the verifier of its format. SEV-SNP takes its certificates from the evidence (the host's certificate table);
 * TDX needs operator-supplied collateral, and without it TDX evidence is refused (fail closed), not waved through.
 */
public final class HardwareVerifiers {

    private HardwareVerifiers() {
    }

    /**
     * @param tdxCollateral Intel collateral (TCB info, QE identity, CRLs), or null to refuse TDX evidence
     */
    public static List<FormatVerifier> create(SnpPolicy snp, TdxCollateral tdxCollateral, TdxPolicy tdx, Clock clock) {
        List<FormatVerifier> out = new ArrayList<>(2);
        out.add(new SnpFormatVerifier(evidence -> SnpCertificateTable.parse(evidence.certificates()), snp, clock));
        if (tdxCollateral != null) {
            out.add(new TdxFormatVerifier(tdxCollateral, tdx, clock));
        }
        return out;
    }

    /**
     * The NVIDIA GPU report verifier for {@link AttestationVerifier}: pinned NVIDIA roots, the operator's
     * {@code collateral} (RIMs and OCSP responses; {@code null} for none, and then the default policy refuses every
     * real GPU, since it requires both).
     */
    public static List<GpuReportVerifier> nvidiaGpus(GpuCollateral collateral, GpuPolicy policy, Clock clock) {
        return List.of(new NvidiaGpuReportVerifier(new GpuVerifier(), collateral, policy, clock));
    }

    /**
     * An {@link AttestationVerifier} with the default policies and the system clock for CPU and GPU evidence.
     *
     * @param tdxCollateral Intel collateral, or null to refuse TDX evidence
     * @param gpuCollateral NVIDIA RIMs and OCSP responses, or null to refuse hardware GPU evidence (the default GPU
     *                      policy needs both)
     */
    public static AttestationVerifier verifier(TdxCollateral tdxCollateral, GpuCollateral gpuCollateral) {
        return new AttestationVerifier(defaults(tdxCollateral),
                nvidiaGpus(gpuCollateral, GpuPolicy.DEFAULT, Clock.systemUTC()));
    }

    /** Default policies (debug refused, VMPL 0, TCB UpToDate) with the system clock. */
    public static List<FormatVerifier> defaults(TdxCollateral tdxCollateral) {
        return create(SnpPolicy.defaults(), tdxCollateral, TdxPolicy.DEFAULT, Clock.systemUTC());
    }
}
