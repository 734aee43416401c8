package dev.veil.protocol.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.SigningKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A node's CPU report and GPU reports as one identity under one nonce (docs/e2ee.md §3.2). */
class GpuBindingTest {

    private static final AttestationPolicy SIMULATED_OK = new AttestationPolicy(Set.of(), Set.of(), true);

    private final AttestationVerifier verifier = new AttestationVerifier();
    private NodeKeyPair node;
    private SigningKey signer;
    private byte[] nonce;
    private byte[] measurement;

    @BeforeEach
    void keys() {
        node = NodeKeyPair.generate(1);
        signer = SigningKey.generate();
        nonce = new byte[32];
        Arrays.fill(nonce, (byte) 0x42);
        measurement = SimulatedEvidence.measure("veil-node gpu test");
    }

    /** What a node does: GPU reports for the derived nonce first, then the CPU report binding their digest. */
    private Evidence attest(byte[] forNonce, int gpus) {
        List<GpuReport> reports = new ArrayList<>();
        for (int i = 0; i < gpus; i++) {
            reports.add(SimulatedGpuEvidence.attest(signer, GpuBinding.gpuNonce(forNonce), "hopper", "gpu " + i));
        }
        return SimulatedEvidence.attest(node.keyConfig(), signer, forNonce, measurement, GpuBinding.digest(reports))
                .withGpus(reports);
    }

    @Test
    void aNodeWithGpusVerifiesAsOneIdentity() throws AttestationException {
        AttestationVerifier.VerifiedNode verified = verifier.verify(attest(nonce, 2), nonce, SIMULATED_OK.withMinGpus(2));
        assertThat(verified.gpus()).hasSize(2);
        assertThat(verified.gpus()).allSatisfy(gpu -> {
            assertThat(gpu.simulated()).isTrue();
            assertThat(gpu.architecture()).isEqualTo("hopper");
            assertThat(gpu.format()).isEqualTo(SimulatedGpuEvidence.FORMAT);
        });
        assertThat(verified.simulated()).isTrue();
    }

    @Test
    void evidenceWithGpusSurvivesItsJson() throws AttestationException {
        Evidence evidence = attest(nonce, 3);
        Evidence parsed = Evidence.parse(evidence.toJson());
        assertThat(parsed.gpus()).hasSize(3);
        assertThat(parsed.gpus().get(1).report()).isEqualTo(evidence.gpus().get(1).report());
        assertThat(verifier.verify(parsed, nonce, SIMULATED_OK).gpus()).hasSize(3);
    }

    @Test
    void aCpuOnlyNodesReportDataIsUnchanged() {
        assertThat(ReportData.compute(node.keyConfig().encoded(), signer.publicKey(), nonce, null))
                .isEqualTo(ReportData.compute(node.keyConfig().encoded(), signer.publicKey(), nonce));
        assertThat(GpuBinding.digest(List.of())).isNull();
    }

    @Test
    void aGpuReportRemovedAddedOrSwappedBreaksTheBinding() {
        Evidence evidence = attest(nonce, 2);
        // Dropping a GPU (a host hiding one) or adding one (a report from another machine) changes the digest the CPU
        // report signed.
        Evidence fewer = evidence.withGpus(evidence.gpus().subList(0, 1));
        assertThatThrownBy(() -> verifier.verify(fewer, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
        List<GpuReport> more = new ArrayList<>(evidence.gpus());
        more.add(attest(nonce, 1).gpus().getFirst());
        assertThatThrownBy(() -> verifier.verify(evidence.withGpus(more), nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
        // Reordering is a different set too: the digest is over the reports in order.
        List<GpuReport> swapped = List.of(evidence.gpus().get(1), evidence.gpus().get(0));
        assertThatThrownBy(() -> verifier.verify(evidence.withGpus(swapped), nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.KeyNotBound.class);
    }

    @Test
    void aGpuReportForAnotherNonceIsRefusedEvenWhenTheCpuReportBindsIt() {
        // A node (or a host in front of it) that serves an old GPU report: the CPU report binds it, the GPU nonce
        // check does not pass.
        byte[] old = new byte[32];
        Arrays.fill(old, (byte) 7);
        List<GpuReport> stale = attest(old, 1).gpus();
        Evidence evidence = SimulatedEvidence.attest(node.keyConfig(), signer, nonce, measurement,
                GpuBinding.digest(stale)).withGpus(stale);
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.GpuNotVerified.class)
                .hasMessageContaining("GPU 0");
    }

    @Test
    void simulatedGpusAreRefusedUnlessSimulatedEvidenceIsAllowed() {
        // Even under a CPU report that would pass: here the CPU is simulated as well, so the CPU check speaks first;
        // a GPU-only check is below, with a verifier that accepts the CPU format.
        assertThatThrownBy(() -> verifier.verify(attest(nonce, 1), nonce, AttestationPolicy.HARDWARE_ONLY))
                .isInstanceOf(AttestationException.class);
        AttestationVerifier cpuPasses = new AttestationVerifier(List.of(new FormatVerifier() {
            @Override
            public String format() {
                return "test-cpu";
            }

            @Override
            public Attested verify(Evidence evidence) {
                return new Attested(evidence.reportData(), "00");
            }
        }));
        Evidence simulated = attest(nonce, 1);
        Evidence asHardware = new Evidence("test-cpu", simulated.nodeKeyId(), simulated.keyConfig(),
                simulated.signingKey(), simulated.nonce(), simulated.reportData(), simulated.raw(), "00", null, null,
                simulated.gpus());
        assertThatThrownBy(() -> cpuPasses.verify(asHardware, nonce, AttestationPolicy.HARDWARE_ONLY))
                .isInstanceOf(AttestationException.GpuNotVerified.class)
                .hasMessageContaining("simulated GPU evidence");
    }

    @Test
    void fewerGpusThanThePolicyRequiresIsRefused() {
        assertThatThrownBy(() -> verifier.verify(attest(nonce, 1), nonce, SIMULATED_OK.withMinGpus(2)))
                .isInstanceOf(AttestationException.GpuNotVerified.class)
                .hasMessageContaining("requires 2 verified GPUs");
        assertThatThrownBy(() -> verifier.verify(attest(nonce, 0), nonce, SIMULATED_OK.withMinGpus(1)))
                .isInstanceOf(AttestationException.GpuNotVerified.class);
    }

    @Test
    void aHardwareGpuReportWithoutAVerifierIsRefused() {
        List<GpuReport> reports = List.of(new GpuReport("nvidia-gpu", "hopper", new byte[100], new byte[10]));
        Evidence evidence = SimulatedEvidence.attest(node.keyConfig(), signer, nonce, measurement,
                GpuBinding.digest(reports)).withGpus(reports);
        assertThatThrownBy(() -> verifier.verify(evidence, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.GpuNotVerified.class)
                .hasMessageContaining("no verifier");
    }

    @Test
    void aTamperedSimulatedGpuReportIsRefused() {
        Evidence evidence = attest(nonce, 1);
        byte[] raw = evidence.gpus().getFirst().report();
        raw[50] ^= 1;
        List<GpuReport> tampered = List.of(new GpuReport(SimulatedGpuEvidence.FORMAT, "hopper", raw, null));
        Evidence rebound = SimulatedEvidence.attest(node.keyConfig(), signer, nonce, measurement,
                GpuBinding.digest(tampered)).withGpus(tampered);
        assertThatThrownBy(() -> verifier.verify(rebound, nonce, SIMULATED_OK))
                .isInstanceOf(AttestationException.GpuNotVerified.class)
                .hasMessageContaining("signature");
    }

    @Test
    void malformedGpuMembersAreRefusedWithAReason() {
        String base = new String(attest(nonce, 0).toJson(), java.nio.charset.StandardCharsets.UTF_8);
        String notArray = base.substring(0, base.length() - 1) + ",\"gpus\":\"x\"}";
        assertThatThrownBy(() -> Evidence.parse(notArray.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("not an array");
        StringBuilder many = new StringBuilder(base.substring(0, base.length() - 1)).append(",\"gpus\":[");
        for (int i = 0; i <= GpuReport.MAX_PER_NODE; i++) {
            many.append(i == 0 ? "" : ",").append("{\"format\":\"simulated-gpu\",\"report\":\"AA\"}");
        }
        many.append("]}");
        assertThatThrownBy(() -> Evidence.parse(many.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("more than");
        String missing = base.substring(0, base.length() - 1) + ",\"gpus\":[{\"format\":\"nvidia-gpu\"}]}";
        assertThatThrownBy(() -> Evidence.parse(missing.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("misses");
        String huge = base.substring(0, base.length() - 1) + ",\"gpus\":[{\"format\":\"nvidia-gpu\",\"report\":\""
                + "A".repeat(GpuReport.MAX_REPORT_BYTES * 2) + "\"}]}";
        assertThatThrownBy(() -> Evidence.parse(huge.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("exceed");
    }
}
