package dev.veil.protocol.attestation.nvidia;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * GPU evidence for any nonce, for tests of verifiers that compose GPU evidence with other evidence (hosted dstack
 * reports): the public nvtrust Hopper report with its request nonce replaced and re-signed by a test device chain
 * ({@link GpuOcspTest}'s test PKI). No public GPU report answers the nonce of a public TDX quote, so this is the only
 * way to build a consistent whole; it is trusted only by a {@link #verifier()} given the test roots.
 */
public final class TestGpuEvidence {

    private TestGpuEvidence() {
    }

    /** A verifier trusting the test device and RIM roots only. */
    public static GpuVerifier verifier() {
        return new GpuVerifier(List.of(GpuOcspTest.DEVICE_ROOT.cert()), List.of(GpuOcspTest.RIM_ROOT.cert()));
    }

    /** RIMs and OCSP collateral are not part of these tests: evidence only, and the verdict says so. */
    public static GpuPolicy evidenceOnly() {
        return GpuSamples.EVIDENCE_ONLY;
    }

    /** A Hopper report answering {@code nonce}, signed by a fresh test leaf, with its test chain. */
    public static GpuEvidence forNonce(byte[] nonce) {
        try {
            SpdmReport original = SpdmReport.parse(GpuSamples.NVTRUST_HOPPER.evidence().report());
            byte[] signed = original.signedBytes();
            System.arraycopy(nonce, 0, signed, 4, 32); // GET_MEASUREMENTS: version, code, param1, param2, nonce[32]
            KeyPair spki = TestPki.p384();
            TestPki.Issued leaf = TestPki.leaf("GH100 A01 GSP FMC LF", GpuOcspTest.DEVICE_CA, List.of(
                    TestPki.hopperFwid(HexFormat.of().parseHex(original.opaque().fwidHex()), spki)));
            Signature s = Signature.getInstance("SHA384withECDSAinP1363Format");
            s.initSign(leaf.key());
            s.update(signed);
            byte[] report = new byte[signed.length + 96];
            System.arraycopy(signed, 0, report, 0, signed.length);
            System.arraycopy(s.sign(), 0, report, signed.length, 96);
            byte[] chain = GpuTamperTest.pem(List.of(leaf.cert().getEncoded(), GpuOcspTest.DEVICE_CA.cert().getEncoded(),
                    GpuOcspTest.DEVICE_ROOT.cert().getEncoded()));
            return new GpuEvidence(report, chain, "hopper");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code nvidia_payload} as the providers serve it: NVIDIA's serialised evidence JSON for {@code gpus}. */
    public static String payload(String nonceHex, List<GpuEvidence> gpus) {
        List<String> entries = new ArrayList<>();
        Base64.Encoder b64 = Base64.getEncoder();
        for (GpuEvidence g : gpus) {
            entries.add("{\"certificate\":\"" + b64.encodeToString(g.certificateChain()) + "\",\"evidence\":\""
                    + b64.encodeToString(g.report()) + "\",\"arch\":\"HOPPER\"}");
        }
        return "{\"nonce\":\"" + nonceHex + "\",\"arch\":\"HOPPER\",\"evidence_list\":[" + String.join(",", entries)
                + "]}";
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
