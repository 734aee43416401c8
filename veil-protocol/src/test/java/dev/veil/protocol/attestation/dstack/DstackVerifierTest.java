package dev.veil.protocol.attestation.dstack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import dev.veil.protocol.attestation.nvidia.GpuCollateral;
import dev.veil.protocol.attestation.nvidia.GpuVerifier;
import dev.veil.protocol.attestation.nvidia.TestGpuEvidence;
import dev.veil.protocol.attestation.tdx.TdxChecks;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The dstack-shape verifier on public samples: dstack's own fixture (a real TDX quote and event log, UpToDate under
 * dcap-qvl's public Intel collateral) with one GPU from the test PKI answering its nonce, and a NEAR AI / RedPill-style
 * quote binding an ECDSA address and nonce with a real Hopper payload. Every tampered variant is refused naming the
 * check.
 */
class DstackVerifierTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DstackPolicy POLICY = DstackPolicy.DEFAULT.withGpu(TestGpuEvidence.evidenceOnly());
    private final DstackVerifier testGpus = new DstackVerifier(DstackSamples.collateral(), TestGpuEvidence.verifier(),
            GpuCollateral.none());

    private Verdict verify(byte[] report, byte[] nonce, DstackPolicy policy) throws DstackFormatException {
        List<DstackAttestation> all = DstackReport.parse(report);
        assertThat(all).hasSize(1);
        return testGpus.verify(all.getFirst(), nonce, policy, DstackSamples.AT);
    }

    private static Check check(Verdict v, String name) {
        return v.checks().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check '" + name + "' in " + v.checks()));
    }

    private static List<String> failures(Verdict v) {
        return v.checks().stream().filter(c -> !c.passed()).map(Check::name).toList();
    }

    @Test
    void theDstackFixtureWithItsGpuPassesEveryCheck() throws Exception {
        Verdict v = verify(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE), DstackSamples.DSTACK_NONCE,
                POLICY);
        assertThat(failures(v)).isEmpty();
        assertThat(v.passed()).isTrue();
        assertThat(check(v, DstackChecks.TDX_PREFIX + TdxChecks.TCB_STATUS).detail()).startsWith("UpToDate");
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).detail()).contains("28 events (13, 5, 2, 8 per RTMR0-3)");
        assertThat(check(v, DstackChecks.COMPOSE_HASH).detail())
                .startsWith("3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7");
        assertThat(check(v, "GPU 1 of 1: nonce").passed()).isTrue();
        assertThat(v.measurement()).isEqualTo("b24d3b24e9e3c16012376b52362ca09856c4adecb709d5fac33addf1c47e193da075b125"
                + "b6c364115771390a5461e217");
    }

    @Test
    void theProviderQuoteBindsItsAddressAndNonceButHasNoEventLogAndItsGpuAnswersAnotherNonce() throws Exception {
        DstackVerifier real = new DstackVerifier(DstackSamples.collateral(), new GpuVerifier(), GpuCollateral.none());
        DstackAttestation a = DstackReport.parse(DstackSamples.bytes(DstackSamples.PRIVATE_AI)).getFirst();
        Verdict v = real.verify(a, DstackSamples.PRIVATE_AI_NONCE, POLICY, DstackSamples.AT);
        assertThat(check(v, DstackChecks.TDX_PREFIX + TdxChecks.QUOTE_SIGNATURE).passed()).isTrue();
        assertThat(check(v, DstackChecks.TDX_PREFIX + TdxChecks.TCB_STATUS).passed()).isTrue();
        assertThat(check(v, DstackChecks.SIGNING_KEY_BINDING).passed()).isTrue();
        assertThat(check(v, DstackChecks.NONCE_BINDING).passed()).isTrue();
        assertThat(check(v, "GPU 1 of 1: device certificate chain").detail()).contains("NVIDIA Device Identity CA");
        assertThat(check(v, "GPU 1 of 1: GPU report signature").passed()).isTrue();
        assertThat(failures(v)).containsExactly(DstackChecks.EVENT_LOG_REPLAY, "GPU 1 of 1: nonce");
        assertThat(check(v, "GPU 1 of 1: nonce").detail()).contains(DstackSamples.PRIVATE_AI_GPU_NONCE);
        assertThat(v.passed()).isFalse();
    }

    @Test
    void aFlippedQuoteBitIsRefusedByTheQuoteSignatureAndTheReplay() throws Exception {
        ObjectNode report = tree(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE));
        byte[] quote = HEX.parseHex(report.get("intel_quote").asText());
        quote[48 + 0x148] ^= 0x01; // first byte of RTMR0 in the TD report body
        report.put("intel_quote", HEX.formatHex(quote));
        Verdict v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(v.firstFailure().name()).isEqualTo(DstackChecks.TDX_PREFIX + TdxChecks.QUOTE_SIGNATURE);
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).passed()).isFalse();
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).detail()).startsWith("RTMR0:");
    }

    @Test
    void aChangedEventLogEntryIsRefusedByTheReplay() throws Exception {
        // a runtime event's payload (RTMR3's app-id): its logged digest no longer matches
        ObjectNode report = tree(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE));
        ArrayNode log = (ArrayNode) JSON.readTree(report.get("event_log").asText());
        ObjectNode appId = null;
        for (var e : log) {
            if ("app-id".equals(e.path("event").asText())) {
                appId = (ObjectNode) e;
            }
        }
        String payload = appId.get("event_payload").asText();
        appId.put("event_payload", (payload.charAt(0) == '0' ? "1" : "0") + payload.substring(1));
        report.put("event_log", log.toString());
        Verdict v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(failures(v)).containsExactly(DstackChecks.EVENT_LOG_REPLAY);
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).detail()).contains("'app-id'").contains("not the digest");

        // ... and with its digest recomputed to match, RTMR3 no longer replays to the quote's
        appId.remove("digest");
        report.put("event_log", log.toString());
        v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(failures(v)).containsExactly(DstackChecks.EVENT_LOG_REPLAY);
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).detail()).startsWith("RTMR3:");

        // a boot event's digest (RTMR0), and a dropped event (RTMR1)
        ArrayNode fresh = (ArrayNode) JSON.readTree(tree(DstackSamples.bytes(DstackSamples.DSTACK))
                .get("event_log").asText());
        ObjectNode first = (ObjectNode) fresh.get(0);
        String digest = first.get("digest").asText();
        first.put("digest", digest.substring(0, 95) + (digest.charAt(95) == '0' ? "1" : "0"));
        report.put("event_log", fresh.toString());
        v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).detail()).startsWith("RTMR0:");
        fresh = (ArrayNode) JSON.readTree(tree(DstackSamples.bytes(DstackSamples.DSTACK)).get("event_log").asText());
        for (int i = 0; i < fresh.size(); i++) {
            if (fresh.get(i).get("imr").asInt() == 1) {
                fresh.remove(i);
                break;
            }
        }
        report.put("event_log", fresh.toString());
        v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(check(v, DstackChecks.EVENT_LOG_REPLAY).detail()).startsWith("RTMR1:");
    }

    @Test
    void aSigningAddressTheReportDataDoesNotBindIsRefused() throws Exception {
        ObjectNode report = tree(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE));
        report.put("signing_address", "0x1234000000000000000000000000000000000001");
        Verdict v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(failures(v)).containsExactly(DstackChecks.SIGNING_KEY_BINDING);
    }

    @Test
    void aNonceOtherThanTheVerifiersIsRefusedByTheReportDataAndEveryGpu() throws Exception {
        byte[] other = new byte[32];
        other[31] = 1;
        Verdict v = verify(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE), other, POLICY);
        assertThat(failures(v)).containsExactly(DstackChecks.NONCE_BINDING, "GPU 1 of 1: nonce");
        Verdict none = verify(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE), null, POLICY);
        assertThat(check(none, DstackChecks.NONCE_BINDING).detail()).contains("no 32-byte nonce");
        assertThat(none.passed()).isFalse();
    }

    @Test
    void aGpuAnsweringAnotherNonceIsRefused() throws Exception {
        byte[] other = new byte[32];
        other[0] = 7;
        Verdict v = verify(DstackSamples.dstackWithGpus(1, other), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(failures(v)).containsExactly("GPU 1 of 1: nonce");
    }

    @Test
    void aGpuCountOtherThanTheVmsIsRefused() throws Exception {
        Verdict two = verify(DstackSamples.dstackWithGpus(2, DstackSamples.DSTACK_NONCE), DstackSamples.DSTACK_NONCE,
                POLICY);
        assertThat(failures(two)).containsExactly(DstackChecks.GPU_COUNT);
        assertThat(check(two, DstackChecks.GPU_COUNT).detail()).contains("2 GPU evidence(s)")
                .contains("vm_config declares 1");
        Verdict none = verify(DstackSamples.bytes(DstackSamples.DSTACK), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(failures(none)).containsExactly(DstackChecks.GPU_COUNT);
        assertThat(check(none, DstackChecks.GPU_COUNT).detail()).contains("at least 1");
        Verdict tooFew = verify(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE),
                DstackSamples.DSTACK_NONCE, POLICY.withMinGpus(2));
        assertThat(failures(tooFew)).containsExactly(DstackChecks.GPU_COUNT);
    }

    @Test
    void theComposeHashIsComparedWithThePolicyAfterTheReplay() throws Exception {
        byte[] report = DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE);
        String compose = "3763bc34552cf3a27ff71ad5f7a90471562a1a2df552dfc1998cba2d60da27e7";
        assertThat(verify(report, DstackSamples.DSTACK_NONCE, POLICY.withAllowedComposeHashes(Set.of(compose)))
                .passed()).isTrue();
        Verdict other = verify(report, DstackSamples.DSTACK_NONCE, POLICY.withAllowedComposeHashes(
                Set.of("00".repeat(32))));
        assertThat(failures(other)).containsExactly(DstackChecks.COMPOSE_HASH);
    }

    @Test
    void aPresentedSecp256k1KeyMustNameTheAddress() throws Exception {
        // private key 1: the generator point, Ethereum address 0x7e5f4552091a69125d5dfcb7b8c2659029395bdf
        String g = "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
                + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8";
        ObjectNode report = tree(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE));
        report.put("signing_public_key", "04" + g);
        Verdict v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(check(v, DstackChecks.SIGNING_PUBLIC_KEY).detail()).contains("7e5f4552091a69125d5dfcb7b8c2659029395bdf");
        assertThat(check(v, DstackChecks.SIGNING_PUBLIC_KEY).passed()).isFalse();
        report.put("signing_address", "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf");
        v = verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY);
        assertThat(check(v, DstackChecks.SIGNING_PUBLIC_KEY).passed()).isTrue();
        assertThat(failures(v)).containsExactly(DstackChecks.SIGNING_KEY_BINDING);
    }

    @Test
    void withATlsFingerprintTheFirstHalfIsTheHashOfAddressAndFingerprint() throws Exception {
        byte[] address = HEX.parseHex("34b7bcb4b2b61fcf9fa14715ba8708ac0dbc8be5");
        byte[] fingerprint = HEX.parseHex("aa".repeat(32));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(address);
        assertThat(DstackVerifier.expectedKeyHalf(address, fingerprint)).isEqualTo(sha.digest(fingerprint));
        assertThat(DstackVerifier.expectedKeyHalf(address, null)).hasSize(32).startsWith(address);
        ObjectNode report = tree(DstackSamples.dstackWithGpus(1, DstackSamples.DSTACK_NONCE));
        report.put("tls_cert_fingerprint", HEX.formatHex(fingerprint));
        assertThat(failures(verify(bytes(report), DstackSamples.DSTACK_NONCE, POLICY)))
                .containsExactly(DstackChecks.SIGNING_KEY_BINDING);
    }

    private static ObjectNode tree(byte[] json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    private static byte[] bytes(ObjectNode node) throws Exception {
        return JSON.writeValueAsBytes(node);
    }
}
