package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.GpuBinding;
import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.attestation.SimulatedEvidence;
import dev.veil.protocol.attestation.VerifiedGpu;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.SigningKey;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** NVIDIA GPU reports inside a node's evidence, on the public samples. */
class NvidiaGpuReportVerifierTest {

    private static final Clock AT = Clock.fixed(GpuSamples.AT, ZoneOffset.UTC);

    private static GpuReport report(GpuSamples.Sample sample) {
        GpuEvidence e = sample.evidence();
        return new GpuReport(GpuVerifier.FORMAT, sample.arch().label(), e.report(), e.certificateChain());
    }

    @Test
    void aPublicSampleVerifiesForItsNonceAndNamesItsArchitecture() throws AttestationException {
        NvidiaGpuReportVerifier verifier = new NvidiaGpuReportVerifier(new GpuVerifier(), null,
                GpuSamples.EVIDENCE_ONLY, AT);
        for (GpuSamples.Sample sample : List.of(GpuSamples.NVTRUST_HOPPER, GpuSamples.SDK_BLACKWELL)) {
            VerifiedGpu gpu = verifier.verify(report(sample), sample.nonceBytes());
            assertThat(gpu.architecture()).isEqualTo(sample.arch().label());
            assertThat(gpu.simulated()).isFalse();
            assertThat(gpu.measurement()).hasSize(96);
            assertThat(gpu.summary()).contains("driver");
        }
    }

    @Test
    void withoutCollateralTheDefaultPolicyRefuses() {
        NvidiaGpuReportVerifier verifier = new NvidiaGpuReportVerifier(new GpuVerifier(), null, GpuPolicy.DEFAULT, AT);
        assertThatThrownBy(() -> verifier.verify(report(GpuSamples.NVTRUST_HOPPER),
                GpuSamples.NVTRUST_HOPPER.nonceBytes()))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("OCSP collateral");
    }

    @Test
    void aGenuineGpuReportNotMadeForThisVerificationIsRefusedInANodesEvidence() {
        // A host that fetched a genuine report of some GPU and attached it to a node's evidence: the CPU report binds
        // it, but the report answers its own nonce, not the one derived from this verifier's.
        NodeKeyPair node = NodeKeyPair.generate(1);
        SigningKey signer = SigningKey.generate();
        byte[] nonce = new byte[32];
        Arrays.fill(nonce, (byte) 3);
        List<GpuReport> gpus = List.of(report(GpuSamples.NVTRUST_HOPPER));
        Evidence evidence = SimulatedEvidence.attest(node.keyConfig(), signer, nonce,
                SimulatedEvidence.measure("x"), GpuBinding.digest(gpus)).withGpus(gpus);
        AttestationVerifier verifier = new AttestationVerifier(List.of(),
                List.of(new NvidiaGpuReportVerifier(new GpuVerifier(), null, GpuSamples.EVIDENCE_ONLY, AT)));
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, new AttestationPolicy(Set.of(), Set.of(), true)))
                .isInstanceOf(AttestationException.GpuNotVerified.class)
                .hasMessageContaining("nonce");
    }
}
