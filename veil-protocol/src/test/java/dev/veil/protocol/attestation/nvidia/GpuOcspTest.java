package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Verdict;
import java.security.KeyPair;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * OCSP collateral and the complete verification with it. No public OCSP response exists for the sample chains, so
 * everything here is a test PKI generated at run time: a device chain whose leaf carries the public report's FWID
 * (the nvtrust Hopper report, re-signed with the test leaf key), driver and VBIOS RIMs with the report's values, and
 * OCSP responses for every certificate NVIDIA's OCSP service would cover.
 */
class GpuOcspTest {

    static final Instant AT = Instant.parse("2025-06-01T00:00:00Z");
    static final TestPki.Issued DEVICE_ROOT = TestPki.root("Test Device Identity CA");
    static final TestPki.Issued DEVICE_CA = TestPki.ca("Test GH100 Identity", DEVICE_ROOT);
    static final TestPki.Issued RIM_ROOT = GpuRimVerificationTest.RIM_ROOT;
    static final TestPki.Issued RIM_CA = GpuRimVerificationTest.RIM_CA;
    static final TestPki.Issued RIM_SIGNER = GpuRimVerificationTest.RIM_SIGNER;

    private final GpuVerifier verifier = new GpuVerifier(List.of(DEVICE_ROOT.cert()), List.of(RIM_ROOT.cert()));

    /** A re-signed copy of the nvtrust Hopper report and a test chain whose leaf has CN {@code leafCn}. */
    record Synthetic(GpuEvidence evidence, SpdmReport report, TestPki.Issued leaf) {
    }

    static Synthetic synthetic(String leafCn) throws Exception {
        SpdmReport original = SpdmReport.parse(GpuSamples.NVTRUST_HOPPER.evidence().report());
        KeyPair spki = TestPki.p384();
        return synthetic(original, TestPki.leaf(leafCn, DEVICE_CA, List.of(TestPki.hopperFwid(
                HexFormat.of().parseHex(original.opaque().fwidHex()), spki))));
    }

    /** {@code original} re-signed with {@code leaf}'s key, with the test chain leaf, device CA, device root. */
    static Synthetic synthetic(SpdmReport original, TestPki.Issued leaf) throws Exception {
        Signature s = Signature.getInstance("SHA384withECDSAinP1363Format");
        s.initSign(leaf.key());
        s.update(original.signedBytes());
        byte[] signed = original.signedBytes();
        byte[] report = new byte[signed.length + 96];
        System.arraycopy(signed, 0, report, 0, signed.length);
        System.arraycopy(s.sign(), 0, report, signed.length, 96);
        byte[] chain = GpuTamperTest.pem(List.of(leaf.cert().getEncoded(), DEVICE_CA.cert().getEncoded(),
                DEVICE_ROOT.cert().getEncoded()));
        return new Synthetic(new GpuEvidence(report, chain), SpdmReport.parse(report), leaf);
    }

    static List<byte[]> rims(SpdmReport report) {
        List<Integer> vbiosIndexes = List.of(0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12);
        List<X509Certificate> chain = List.of(RIM_SIGNER.cert(), RIM_CA.cert(), RIM_ROOT.cert());
        return List.of(
                TestRims.signed("GH100", report.opaque().driverVersion(),
                        TestRims.fromReport(report, GpuRimVerificationTest.DRIVER_INDEXES), RIM_SIGNER, chain),
                TestRims.signed("GH100", report.opaque().vbiosVersion(), TestRims.fromReport(report, vbiosIndexes),
                        RIM_SIGNER, chain));
    }

    static byte[] good(TestPki.Issued cert, TestPki.Issued issuer) {
        return TestPki.ocsp(cert.cert(), issuer.cert(), issuer, TestPki.Status.GOOD, AT.minus(Duration.ofHours(1)),
                AT.plus(Duration.ofDays(6)));
    }

    /** Good responses for the device CA and both RIM chain certificates. */
    static List<byte[]> allGood() {
        List<byte[]> out = new ArrayList<>();
        out.add(good(DEVICE_CA, DEVICE_ROOT));
        out.add(good(RIM_SIGNER, RIM_CA));
        out.add(good(RIM_CA, RIM_ROOT));
        return out;
    }

    private Verdict verify(Synthetic s, List<byte[]> ocsp) throws Exception {
        return verifier.verify(s.evidence(), GpuSamples.NVTRUST_HOPPER.nonceBytes(),
                new GpuCollateral(rims(s.report()), OcspCollateral.parse(ocsp)), GpuPolicy.DEFAULT, AT);
    }

    @Test
    void everythingCheckedPasses() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        Verdict v = verify(s, allGood());
        v.checks().forEach(System.out::println);
        assertThat(v.passed()).as(String.valueOf(v.firstFailure())).isTrue();
        assertThat(GpuRimVerificationTest.detail(v, GpuChecks.DEVICE_REVOCATION)).contains("'Test GH100 Identity' good");
        assertThat(GpuRimVerificationTest.detail(v, GpuChecks.DRIVER_RIM_REVOCATION))
                .contains("'Test RIM signer' good").contains("'Test RIM CA' good");
        assertThat(GpuRimVerificationTest.detail(v, GpuChecks.MEASUREMENTS)).contains("active measurements match");
    }

    @Test
    void aRevokedCertificateIsRefused() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        List<byte[]> ocsp = allGood();
        ocsp.set(2, TestPki.ocsp(RIM_CA.cert(), RIM_ROOT.cert(), RIM_ROOT, TestPki.Status.REVOKED,
                AT.minus(Duration.ofHours(1)), AT.plus(Duration.ofDays(6))));
        Verdict v = verify(s, ocsp);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DRIVER_RIM_REVOCATION);
        assertThat(v.firstFailure().detail()).contains("'Test RIM CA' is REVOKED (keyCompromise");
    }

    @Test
    void anUnknownStatusIsRefused() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        List<byte[]> ocsp = allGood();
        ocsp.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), DEVICE_ROOT, TestPki.Status.UNKNOWN,
                AT.minus(Duration.ofHours(1)), AT.plus(Duration.ofDays(6))));
        Verdict v = verify(s, ocsp);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DEVICE_REVOCATION);
        assertThat(v.firstFailure().detail()).contains("status unknown");
    }

    @Test
    void staleFutureAndAgedResponsesAreRefused() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        List<byte[]> stale = allGood();
        stale.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), DEVICE_ROOT, TestPki.Status.GOOD,
                AT.minus(Duration.ofDays(8)), AT.minus(Duration.ofDays(1))));
        assertThat(verify(s, stale).firstFailure().detail()).contains("stale");
        List<byte[]> future = allGood();
        future.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), DEVICE_ROOT, TestPki.Status.GOOD,
                AT.plus(Duration.ofDays(1)), AT.plus(Duration.ofDays(2))));
        assertThat(verify(s, future).firstFailure().detail()).contains("after the verification time");
        List<byte[]> aged = allGood();
        aged.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), DEVICE_ROOT, TestPki.Status.GOOD,
                AT.minus(Duration.ofDays(3)), null));
        assertThat(verify(s, aged).firstFailure().detail()).contains("has no nextUpdate");
    }

    @Test
    void aResponseFromAnUnrelatedKeyIsRefused() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        TestPki.Issued impostor = TestPki.root("Test Device Identity CA");
        List<byte[]> ocsp = allGood();
        ocsp.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), impostor, TestPki.Status.GOOD,
                AT.minus(Duration.ofHours(1)), AT.plus(Duration.ofDays(6))));
        Verdict v = verify(s, ocsp);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DEVICE_REVOCATION);
        assertThat(v.firstFailure().detail()).containsAnyOf("signature does not verify", "not certified");
    }

    @Test
    void aDelegatedResponderNeedsTheOcspSigningPurpose() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        TestPki.Issued responder = TestPki.leaf("Test OCSP responder", DEVICE_ROOT, List.of(TestPki.ocspSigning()));
        List<byte[]> ocsp = allGood();
        ocsp.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), responder, TestPki.Status.GOOD,
                AT.minus(Duration.ofHours(1)), AT.plus(Duration.ofDays(6))));
        assertThat(verify(s, ocsp).passed()).isTrue();
        TestPki.Issued plain = TestPki.leaf("Test plain responder", DEVICE_ROOT, List.of());
        ocsp.set(0, TestPki.ocsp(DEVICE_CA.cert(), DEVICE_ROOT.cert(), plain, TestPki.Status.GOOD,
                AT.minus(Duration.ofHours(1)), AT.plus(Duration.ofDays(6))));
        assertThat(verify(s, ocsp).firstFailure().detail()).contains("not certified for OCSP signing");
    }

    @Test
    void aMissingResponseIsRefused() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        List<byte[]> ocsp = allGood();
        ocsp.remove(1);
        Verdict v = verify(s, ocsp);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DRIVER_RIM_REVOCATION);
        assertThat(v.firstFailure().detail()).contains("no OCSP response for 'Test RIM signer'");
    }

    @Test
    void anUnknownArchitectureIsRefused() throws Exception {
        Synthetic s = synthetic("GX100 A01 GSP FMC LF");
        Verdict v = verify(s, allGood());
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.ARCHITECTURE);
        assertThat(v.firstFailure().detail()).contains("unknown GPU architecture");
    }

    @Test
    void aBlackwellDeviceCertificateMarkedDebugIsRefused() throws Exception {
        SpdmReport blackwell = SpdmReport.parse(GpuSamples.SDK_BLACKWELL.evidence().report());
        byte[] fwid = HexFormat.of().parseHex(blackwell.opaque().fwidHex());
        GpuPolicy evidenceOnly = GpuPolicy.DEFAULT.withRimsRequired(false).withUncheckedRevocationAccepted(true);
        byte[] nonce = GpuSamples.SDK_BLACKWELL.nonceBytes();

        Synthetic debug = synthetic(blackwell, TestPki.leaf("GB100 A01 GSP FMC LF", DEVICE_CA,
                List.of(TestPki.diceTcbInfo(fwid, new byte[] {0x10, 0, 0, 0}))));
        Verdict refused = verifier.verify(debug.evidence(), nonce, GpuCollateral.none(), evidenceOnly, AT);
        assertThat(refused.firstFailure().name()).isEqualTo(GpuChecks.DEBUG_STATE);
        assertThat(refused.firstFailure().detail()).contains("debug");

        Synthetic production = synthetic(blackwell, TestPki.leaf("GB100 A01 GSP FMC LF", DEVICE_CA,
                List.of(TestPki.diceTcbInfo(fwid, new byte[] {(byte) 0x80, 0, 0, 1}))));
        Verdict passed = verifier.verify(production.evidence(), nonce, GpuCollateral.none(), evidenceOnly, AT);
        assertThat(passed.passed()).as(String.valueOf(passed.firstFailure())).isTrue();
    }

    @Test
    void anExpiredDeviceCertificateIsRefused() throws Exception {
        SpdmReport original = SpdmReport.parse(GpuSamples.NVTRUST_HOPPER.evidence().report());
        Synthetic s = synthetic(original, TestPki.leaf("GH100 A01 GSP FMC LF", DEVICE_CA, List.of(
                TestPki.hopperFwid(HexFormat.of().parseHex(original.opaque().fwidHex()), TestPki.p384())),
                AT.minus(Duration.ofDays(30)), AT.minus(Duration.ofDays(1))));
        Verdict v = verify(s, allGood());
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DEVICE_CHAIN);
        assertThat(v.firstFailure().detail()).contains("expired");
    }

    @Test
    void anUnparsableOcspResponseIsNamedByTheRevocationCheck() throws Exception {
        Synthetic s = synthetic("GH100 A01 GSP FMC LF");
        List<byte[]> ocsp = allGood();
        ocsp.set(0, new byte[] {0x30, 0x03, 0x0a, 0x01, 0x01});
        Verdict v = verifier.verify(s.evidence(), GpuSamples.NVTRUST_HOPPER.nonceBytes(),
                new GpuCollateral(rims(s.report()), OcspCollateral.of(ocsp)), GpuPolicy.DEFAULT, AT);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DEVICE_REVOCATION);
        assertThat(v.firstFailure().detail()).contains("unparsable").contains("OCSP response 1");
    }

    @Test
    void malformedOcspCollateralIsAFormatError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OcspCollateral.parse(List.of(new byte[] {0x30, 0x03,
                0x0a, 0x01, 0x00}))).isInstanceOf(GpuFormatException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OcspCollateral.parse(List.of(new byte[] {1, 2, 3})))
                .isInstanceOf(GpuFormatException.class);
    }
}
