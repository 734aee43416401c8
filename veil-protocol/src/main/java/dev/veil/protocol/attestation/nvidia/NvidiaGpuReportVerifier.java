package dev.veil.protocol.attestation.nvidia;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.attestation.GpuReportVerifier;
import dev.veil.protocol.attestation.Verdict;
import dev.veil.protocol.attestation.VerifiedGpu;
import java.time.Clock;

/**
 * The {@code nvidia-gpu} reports of a node's evidence, verified by {@link GpuVerifier} against the pinned NVIDIA roots,
 * the operator's collateral and a policy. Without collateral the default policy refuses (RIMs and OCSP responses are
 * required), so a node with real GPUs is not admitted until its operator supplies them.
 */
public final class NvidiaGpuReportVerifier implements GpuReportVerifier {

    private final GpuVerifier verifier;
    private final GpuCollateral collateral;
    private final GpuPolicy policy;
    private final Clock clock;

    public NvidiaGpuReportVerifier(GpuVerifier verifier, GpuCollateral collateral, GpuPolicy policy, Clock clock) {
        this.verifier = verifier;
        this.collateral = collateral == null ? GpuCollateral.none() : collateral;
        this.policy = policy;
        this.clock = clock;
    }

    @Override
    public String format() {
        return GpuVerifier.FORMAT;
    }

    @Override
    public VerifiedGpu verify(GpuReport gpu, byte[] expectedGpuNonce) throws AttestationException {
        Verdict verdict = verifier.verify(new GpuEvidence(gpu.report(), gpu.certificates(), gpu.architecture()),
                expectedGpuNonce, collateral, policy, clock.instant());
        if (!verdict.passed()) {
            Check failed = verdict.firstFailure();
            throw new AttestationException.InvalidEvidence(failed.name() + ": " + failed.detail());
        }
        String architecture = "unknown";
        String report = "";
        for (Check check : verdict.checks()) {
            if (check.name().equals(GpuChecks.ARCHITECTURE)) {
                architecture = check.detail().split(" ", 2)[0];
            } else if (check.name().equals(GpuChecks.REPORT_FORMAT)) {
                report = check.detail();
            }
        }
        return new VerifiedGpu(GpuVerifier.FORMAT, architecture, verdict.measurement(), false,
                architecture + " GPU: " + report);
    }
}
