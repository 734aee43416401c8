package dev.veil.protocol.attestation.dstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.tdx.TdxEvent;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading dstack-shape reports: the shapes providers serve, and bad input refused naming the field. */
class DstackReportTest {

    private static List<DstackAttestation> parse(String json) throws DstackFormatException {
        return DstackReport.parse(json.getBytes(StandardCharsets.UTF_8));
    }

    private static final String QUOTE = "\"intel_quote\":\"0400\"";
    private static final String ADDRESS = "\"signing_address\":\"0x" + "11".repeat(20) + "\"";

    @Test
    void readsTheSamples() throws Exception {
        DstackAttestation d = DstackReport.parse(DstackSamples.dstackWithGpus(1, new byte[32])).getFirst();
        assertThat(d.eventLog()).hasSize(28);
        assertThat(d.gpus()).hasSize(1);
        assertThat(d.declaredGpuCount()).isEqualTo(1);
        assertThat(d.signingAlgo()).isEqualTo("ecdsa");
        DstackAttestation p = DstackReport.parse(DstackSamples.bytes(DstackSamples.PRIVATE_AI)).getFirst();
        assertThat(p.eventLog()).isNull();
        assertThat(p.gpus()).hasSize(1);
        assertThat(p.gpuPayloadNonce()).isEqualTo(DstackSamples.PRIVATE_AI_GPU_NONCE);
        assertThat(DstackReport.looksLikeDstack(DstackSamples.bytes(DstackSamples.DSTACK))).isTrue();
    }

    @Test
    void readsEveryAttestationOfAList() throws Exception {
        String entry = "{" + QUOTE + "," + ADDRESS + ",\"event_log\":[{\"imr\":3,\"event_type\":134217729,"
                + "\"digest\":\"\",\"event\":\"app-id\",\"event_payload\":\"deadbeef\"}]}";
        List<DstackAttestation> all = parse("{\"gateway_attestation\":{}, \"model_attestations\":[" + entry + ","
                + entry + "]}");
        assertThat(all).hasSize(2);
        assertThat(all.getFirst().eventLog().getFirst().name()).isEqualTo("app-id");
        String ed = "{" + QUOTE + ",\"signing_algo\":\"ed25519\",\"signing_address\":\"" + "22".repeat(32) + "\"}";
        assertThat(parse("{" + QUOTE + "," + ADDRESS + ",\"all_attestations\":[" + ed + "]}").getFirst().signingAlgo())
                .isEqualTo("ed25519");
    }

    @Test
    void refusesBadInputNamingTheField() {
        assertRefused("", "report: empty");
        assertRefused("[]", "report: not a JSON object");
        assertRefused("{\"x\":1}", "neither intel_quote");
        assertRefused("{" + ADDRESS + ",\"model_attestations\":[]}", "model_attestations: not a non-empty array");
        assertRefused("{" + ADDRESS + "}", "neither intel_quote");
        assertRefused("{" + QUOTE + "}", "report.signing_address: missing");
        assertRefused("{\"intel_quote\":\"zz\"," + ADDRESS + "}", "report.intel_quote: not hex");
        assertRefused("{" + QUOTE + ",\"signing_address\":\"0x1234\"}", "2 bytes, an ecdsa signing address has 20");
        assertRefused("{" + QUOTE + "," + ADDRESS + ",\"signing_algo\":\"rsa\"}", "neither ecdsa nor ed25519");
        assertRefused("{" + QUOTE + "," + QUOTE + "," + ADDRESS + "}", "not valid JSON");
        assertRefused("{" + QUOTE + "," + ADDRESS + ",\"event_log\":[{\"imr\":4,\"event_type\":1}]}",
                "report.event_log[0].imr: not an RTMR index");
        assertRefused("{" + QUOTE + "," + ADDRESS + ",\"event_log\":\"{}\"}", "report.event_log: not an array");
        assertRefused("{" + QUOTE + "," + ADDRESS + ",\"nvidia_payload\":\"{\\\"evidence_list\\\":[]}\"}",
                "report.nvidia_payload");
        assertRefused("{" + QUOTE + "," + ADDRESS + ",\"info\":{\"vm_config\":\"{\\\"num_gpus\\\":-1}\"}}",
                "num_gpus: not a GPU count");
        String many = ("{" + QUOTE + "," + ADDRESS + "},").repeat(DstackReport.MAX_ATTESTATIONS + 1);
        assertRefused("{\"all_attestations\":[" + many.substring(0, many.length() - 1) + "]}", "more than 16");
        byte[] huge = new byte[DstackReport.MAX_SIZE + 1];
        assertThatThrownBy(() -> DstackReport.parse(huge)).isInstanceOf(DstackFormatException.class)
                .hasMessageContaining("more than");
    }

    @Test
    void aLogWhoseRuntimeEventsCarryOnlyTheirPayloadReplaysWithRecomputedDigests() throws Exception {
        com.fasterxml.jackson.databind.JsonNode lite = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                DstackSamples.bytes("dstack/tdx-lite-getquote.json"));
        List<TdxEvent> log = DstackReport.eventLog(lite.get("event_log"), "event_log");
        assertThat(log.stream().filter(TdxEvent::runtimeEvent)).hasSize(9).allMatch(e -> e.digest().length == 0);
        var quote = dev.veil.protocol.attestation.tdx.TdxQuote.parse(HexFormat.of().parseHex(
                lite.get("quote").asText())).report();
        dev.veil.protocol.attestation.tdx.RtmrReplay.Result r =
                dev.veil.protocol.attestation.tdx.RtmrReplay.replayAndCompare(log, quote);
        assertThat(r.problems()).isEmpty();
        assertThat(r.counts()).containsExactly(13, 5, 2, 9);
    }

    @Test
    void runtimeEventDigestsAreDstacksV1AndV2() throws Exception {
        byte[] payload = HexFormat.of().parseHex("deadbeef");
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-384");
        byte[] v1 = sha.digest(concat(new byte[] {1, 0, 0, 8, ':'}, "app-id:".getBytes(StandardCharsets.UTF_8),
                payload));
        assertThat(new TdxEvent(3, TdxEvent.DSTACK_RUNTIME_EVENT_TYPE, null, "app-id", payload, 1).runtimeDigest())
                .isEqualTo(v1);
        byte[] v2 = sha.digest("{\"name\":\"app-id\",\"payload\":\"deadbeef\",\"type\":134217729}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(new TdxEvent(3, TdxEvent.DSTACK_RUNTIME_EVENT_TYPE, null, "app-id", payload, 2).runtimeDigest())
                .isEqualTo(v2);
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static void assertRefused(String json, String message) {
        assertThatThrownBy(() -> parse(json)).isInstanceOf(DstackFormatException.class)
                .hasMessageContaining(message);
    }
}
