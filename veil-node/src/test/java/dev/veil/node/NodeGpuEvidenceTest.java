package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.GpuBinding;
import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.attestation.SimulatedGpuEvidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's GPU evidence: collected per attestation request, bound to its CPU report, served over real HTTP. */
class NodeGpuEvidenceTest {

    private static final AttestationPolicy ALLOW_SIMULATED = new AttestationPolicy(Set.of(), Set.of(), true);

    @TempDir
    Path dir;

    @Test
    void aNodeWithSimulatedGpusServesOneVerifiableIdentity() throws Exception {
        try (FakeEngine engine = FakeEngine.start();
             VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("chat", "engine-chat")),
                     new SimulatedEvidenceSource("gpu node test"), new SimulatedGpuEvidenceSource(2, "hopper", "test"))) {
            E2eeTestClient client = new E2eeTestClient(node.baseUrl());
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            E2eeTestClient.Answer answer = client.get("/v1/attestation?nonce=" + E2ee.hex(nonce));
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.text()).contains("\"gpus\":[").contains("\"format\":\"simulated-gpu\"")
                    .contains("\"simulated\":true");
            Evidence evidence = Evidence.parse(answer.body());
            AttestationVerifier.VerifiedNode verified = new AttestationVerifier()
                    .verify(evidence, nonce, ALLOW_SIMULATED.withMinGpus(2));
            assertThat(verified.gpus()).hasSize(2);
            // The same evidence under another nonce: a replay, refused.
            byte[] other = nonce.clone();
            other[0] ^= 1;
            assertThatThrownBy(() -> new AttestationVerifier().verify(evidence, other, ALLOW_SIMULATED))
                    .isInstanceOf(dev.veil.protocol.attestation.AttestationException.NonceMismatch.class);
            // And the encrypted path still works with the identity it verified.
            assertThat(client.attest().gpus()).hasSize(2);
        }
    }

    /** A collector script printing what the given reports are, for whatever nonce it is given. */
    private List<String> collector(String body) throws Exception {
        Path script = dir.resolve("collect.sh");
        Files.writeString(script, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return List.of(script.toString());
    }

    @Test
    void theCollectorCommandGetsTheGpuNonceAndItsReportsAreServedAsPrinted() throws Exception {
        // A collector that writes the nonce it was given into a simulated-shaped report (so the test can check the
        // nonce it got is the derived GPU nonce): it prints a fixed report file chosen by the nonce.
        SigningKey key = SigningKey.generate();
        byte[] nonce = new byte[32];
        new SecureRandom().nextBytes(nonce);
        GpuReport report = SimulatedGpuEvidence.attest(key, GpuBinding.gpuNonce(nonce), "hopper", "x");
        String b64 = Base64.getUrlEncoder().withoutPadding().encodeToString(report.report());
        Path expected = dir.resolve(E2ee.hex(GpuBinding.gpuNonce(nonce)) + ".json");
        Files.writeString(expected, "{\"gpus\":[{\"format\":\"simulated-gpu\",\"architecture\":\"hopper\",\"report\":\""
                + b64 + "\"}]}");
        CommandGpuEvidenceSource source = new CommandGpuEvidenceSource(collector("cat \"" + dir + "/$1.json\""), 1, 10);
        List<GpuReport> got = source.collect(GpuBinding.gpuNonce(nonce), key);
        assertThat(got).hasSize(1);
        assertThat(got.getFirst().report()).isEqualTo(report.report());
    }

    @Test
    void aCollectorThatFailsMisreportsHangsOrFloodsIsAnErrorNeverAPartialSet() throws Exception {
        SigningKey key = SigningKey.generate();
        byte[] gpuNonce = new byte[32];
        String oneGpu = "{\"gpus\":[{\"format\":\"nvidia-gpu\",\"report\":\"AAAA\"}]}";
        assertThatThrownBy(() -> new CommandGpuEvidenceSource(collector("echo '" + oneGpu + "'"), 2, 10)
                .collect(gpuNonce, key)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("reported 1 GPUs; the node was started with 2");
        assertThatThrownBy(() -> new CommandGpuEvidenceSource(collector("exit 3"), 1, 10).collect(gpuNonce, key))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("status 3");
        assertThatThrownBy(() -> new CommandGpuEvidenceSource(collector("echo not json"), 1, 10).collect(gpuNonce, key))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("not GPU evidence");
        assertThatThrownBy(() -> new CommandGpuEvidenceSource(collector("exec sleep 30"), 1, 1).collect(gpuNonce, key))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("within 1 s");
        assertThatThrownBy(() -> new CommandGpuEvidenceSource(collector("exec yes"), 1, 10).collect(gpuNonce, key))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bytes of output");
        assertThatThrownBy(() -> new CommandGpuEvidenceSource(List.of(dir.resolve("missing").toString()), 1, 10)
                .collect(gpuNonce, key)).isInstanceOf(IllegalStateException.class).hasMessageContaining("could not start");
    }

    @Test
    void aNodeWhoseGpusCannotAttestAnswersAnErrorNotACpuOnlyIdentity() throws Exception {
        try (FakeEngine engine = FakeEngine.start();
             VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("chat", "engine-chat")),
                     new SimulatedEvidenceSource("gpu node test"),
                     new CommandGpuEvidenceSource(collector("exit 1"), 1, 10))) {
            E2eeTestClient client = new E2eeTestClient(node.baseUrl());
            E2eeTestClient.Answer answer = client.get("/v1/attestation?nonce=" + "00".repeat(32));
            assertThat(answer.status()).isEqualTo(503);
            assertThat(answer.text()).contains("attestation_unavailable");
            assertThat(answer.text()).doesNotContain("\"evidence\"");
        }
    }
}
