package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** NVIDIA's serialised evidence JSON (attestation-sdk common-test-data): every GPU of every file verifies. */
class GpuEvidenceListTest {

    private final GpuVerifier verifier = new GpuVerifier();

    private List<Verdict> verifyAll(String resource, String nonce) throws Exception {
        return GpuEvidenceList.parse(GpuSamples.bytes(resource)).stream()
                .map(e -> verifier.verify(e.evidence(), HexFormat.of().parseHex(nonce), GpuCollateral.none(),
                        GpuSamples.EVIDENCE_ONLY, GpuSamples.AT)).toList();
    }

    @Test
    void everyGpuOfNvidiasSerialisedSamplesVerifies() throws Exception {
        String latest = "e97b23a1718095a0e9e35edca810768c70a6a5a389b705e753b197912bc11576";
        for (String file : List.of("hopper_evidence.json", "multi_gpu_hopper.json", "evidence_hopper_590_12.json")) {
            List<Verdict> verdicts = verifyAll("nvidia/attestation-sdk/serialized/" + file, latest);
            assertThat(verdicts).isNotEmpty();
            for (Verdict v : verdicts) {
                assertThat(v.passed()).as(file + ": " + v.firstFailure()).isTrue();
            }
        }
        assertThat(verifyAll("nvidia/attestation-sdk/serialized/multi_gpu_hopper.json", latest)).hasSize(4);
        List<Verdict> hold = verifyAll("nvidia/attestation-sdk/serialized/hopper_evidence_cert_hold.json",
                GpuSamples.NONCE_931D);
        assertThat(hold.getFirst().passed()).as(String.valueOf(hold.getFirst().firstFailure())).isTrue();
    }

    @Test
    void aMislabelledArchitectureIsRefused() throws Exception {
        String json = new String(GpuSamples.bytes("nvidia/attestation-sdk/serialized/hopper_evidence.json"),
                StandardCharsets.UTF_8).replace("\"HOPPER\"", "\"BLACKWELL\"");
        GpuEvidenceList.Entry e = GpuEvidenceList.parse(json.getBytes(StandardCharsets.UTF_8)).getFirst();
        Verdict v = verifier.verify(e.evidence(), HexFormat.of().parseHex(e.declaredNonce()), GpuCollateral.none(),
                GpuSamples.EVIDENCE_ONLY, GpuSamples.AT);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.ARCHITECTURE);
        assertThat(v.firstFailure().detail()).contains("labelled 'BLACKWELL'");
    }

    @Test
    void theProviderShapeWithAnEvidenceListParses() throws Exception {
        String list = new String(GpuSamples.bytes("nvidia/attestation-sdk/serialized/multi_gpu_hopper.json"),
                StandardCharsets.UTF_8);
        String wrapped = "{\"nonce\":\"00\",\"arch\":\"HOPPER\",\"evidence_list\":" + list + "}";
        assertThat(GpuEvidenceList.parse(wrapped.getBytes(StandardCharsets.UTF_8))).hasSize(4);
    }

    @Test
    void malformedListsAreFormatErrors() {
        for (String bad : List.of("", "[]", "{}", "[1]", "[{\"evidence\":\"AA==\"}]", "{\"evidence_list\":{}}",
                "[{\"evidence\":\"!!\",\"certificate\":\"AA==\"}]", "[{\"arch\":\"a\",\"arch\":\"b\"}]", "[" )) {
            assertThatThrownBy(() -> GpuEvidenceList.parse(bad.getBytes(StandardCharsets.UTF_8))).as(bad)
                    .isInstanceOf(GpuFormatException.class);
        }
        String many = "[" + "{\"evidence\":\"AA==\",\"certificate\":\"AA==\"},".repeat(GpuEvidenceList.MAX_GPUS)
                + "{\"evidence\":\"AA==\",\"certificate\":\"AA==\"}]";
        assertThatThrownBy(() -> GpuEvidenceList.parse(many.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("more than 16 GPUs");
    }
}
