package dev.veil.protocol.attestation.snp;

import static dev.veil.protocol.attestation.snp.SnpSamples.AT;
import static dev.veil.protocol.attestation.snp.SnpSamples.HEX;
import static dev.veil.protocol.attestation.snp.SnpSamples.flip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SnpVerifierTest {

    private static final String GO_MEASUREMENT =
            "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01";
    private static final String VIRTEE_MEASUREMENT =
            "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f";
    /** The go-sev-guest sample was taken from a debug guest: its tests need debug allowed. */
    private static final SnpPolicy DEBUG_OK = SnpPolicy.defaults().allowingDebug();

    private final SnpVerifier verifier = new SnpVerifier();
    private final AmdTrustStore.ProductRoots milan = AmdTrustStore.pinned().roots(SnpProduct.MILAN).orElseThrow();
    private final AmdTrustStore.ProductRoots genoa = AmdTrustStore.pinned().roots(SnpProduct.GENOA).orElseThrow();
    private final AmdTrustStore.ProductRoots turin = AmdTrustStore.pinned().roots(SnpProduct.TURIN).orElseThrow();

    // ---- real evidence verifies

    @Test
    void goSevGuestSampleVerifiesWithItsVcekAlone() {
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK, AT);
        assertThat(v.passed()).as(v.checks().toString()).isTrue();
        assertThat(v.format()).isEqualTo("sev-snp");
        assertThat(v.checks()).extracting(Check::name)
                .containsExactly(Arrays.stream(SnpCheck.values()).map(SnpCheck::label).toArray(String[]::new));
        assertThat(v.measurement()).isEqualTo(GO_MEASUREMENT);
        assertThat(HEX.formatHex(v.reportData())).isEqualTo("0102030405" + "0".repeat(118));
        assertThat(detail(v, SnpCheck.ROOT_PINNED)).contains("ARK-Milan", milan.arkSpkiSha256());
        assertThat(detail(v, SnpCheck.TCB_MATCH)).contains("Milan-B0", "CHIP_ID equals the VCEK's hwID");
        assertThat(detail(v, SnpCheck.DEBUG)).contains("explicitly allows debug");
    }

    @Test
    void goSevGuestSampleVerifiesWithTheWholeChainInAnyOrder() {
        List<X509Certificate> chain = new ArrayList<>(SnpSamples.goTrust("ask_ark_milan.pem")); // ASK, ARK
        chain.add(1, SnpSamples.goVcek()); // ASK, VCEK, ARK
        Verdict v = verifier.verify(SnpSamples.goReport(), chain, DEBUG_OK, AT);
        assertThat(v.passed()).as(v.checks().toString()).isTrue();
        assertThat(detail(v, SnpCheck.ROOT_PINNED)).contains("the presented ARK is the pinned ARK-Milan");
        assertThat(detail(v, SnpCheck.CHAIN_SIGNATURES)).isEqualTo(
                "VCEK ← SEV-Milan ← ARK-Milan (pinned), RSASSA-PSS/SHA-384");
    }

    @Test
    void virteeSampleVerifiesUnderTheDefaultPolicy() {
        Verdict v = verifier.verify(SnpSamples.virteeReport(), List.of(SnpSamples.virteeVcek(), milan.ark()),
                SnpPolicy.defaults(), AT);
        assertThat(v.passed()).as(v.checks().toString()).isTrue();
        assertThat(v.measurement()).isEqualTo(VIRTEE_MEASUREMENT);
        assertThat(detail(v, SnpCheck.DEBUG)).isEqualTo("the guest policy does not allow debugging");
    }

    @Test
    void strictPolicyOnTheRealSamplesPasses() {
        SnpReport report = parse(SnpSamples.virteeReport());
        SnpPolicy strict = SnpPolicy.defaults()
                .withAllowedMeasurements(Set.of(VIRTEE_MEASUREMENT.toUpperCase()))
                .withMinimumTcb(TcbVersion.of(3, 0, 8, 115))
                .withRequiredVmpl(0)
                .withReportData(report.reportData())
                .withSigningKeys(Set.of(SigningKeyKind.VCEK));
        Verdict v = verifier.verify(SnpSamples.virteeReport(), List.of(SnpSamples.virteeVcek()), strict, AT);
        assertThat(v.passed()).as(v.checks().toString()).isTrue();
    }

    // ---- single-bit changes are refused, naming the reason

    @Test
    void aBitInTheSignatureIsRefused() {
        assertRefused(flip(SnpSamples.goReport(), 0x2A0, 0), SnpCheck.REPORT_SIGNATURE, "does not verify");
        assertRefused(flip(SnpSamples.goReport(), 0x2A0 + 72 + 47, 7), SnpCheck.REPORT_SIGNATURE, "does not verify");
        // a bit above the 48 bytes of a P-384 value
        assertRefused(flip(SnpSamples.goReport(), 0x2A0 + 50, 0), SnpCheck.REPORT_SIGNATURE, "does not fit in 48 bytes");
    }

    @Test
    void aBitInTheMeasurementIsRefused() {
        byte[] tampered = flip(SnpSamples.goReport(), 0x90, 0);
        Verdict v = assertRefused(tampered, SnpCheck.REPORT_SIGNATURE, "does not verify");
        assertThat(v.measurement()).isNotEqualTo(GO_MEASUREMENT); // shown as reported, but not trusted
    }

    @Test
    void aBitInTheReportDataIsRefused() {
        assertRefused(flip(SnpSamples.goReport(), 0x50, 0), SnpCheck.REPORT_SIGNATURE, "does not verify");
        assertRefused(flip(SnpSamples.goReport(), 0x8F, 7), SnpCheck.REPORT_SIGNATURE, "does not verify");
    }

    @Test
    void aBitInTheReportedTcbIsRefused() {
        assertRefused(flip(SnpSamples.goReport(), 0x180, 0), SnpCheck.REPORT_SIGNATURE, "does not verify");
        assertRefused(flip(SnpSamples.goReport(), 0x186, 0), SnpCheck.REPORT_SIGNATURE, "does not verify");
    }

    @Test
    void clearingTheDebugBitIsRefused() {
        assertRefused(flip(SnpSamples.goReport(), 0x0A, 3), SnpCheck.REPORT_SIGNATURE, "does not verify");
    }

    @Test
    void aBitChangeInEveryByteOfTheReportIsRefused() {
        // one bit per byte (bit index rotating so every position is hit), 1184 verifications; every bit of every
        // byte would be 9472 and take ~8 s for the same conclusion
        byte[] report = SnpSamples.goReport();
        List<X509Certificate> chain = List.of(SnpSamples.goVcek());
        Set<String> reasons = Set.of(SnpCheck.REPORT_FORMAT.label(), SnpCheck.CERTIFICATES.label(),
                SnpCheck.REPORT_SIGNATURE.label());
        for (int i = 0; i < SnpReport.SIZE; i++) {
            int bit = (i * 3) % 8;
            Verdict v = verifier.verify(flip(report, i, bit), chain, DEBUG_OK, AT);
            assertThat(v.passed()).as("bit %d of byte 0x%03x", bit, i).isFalse();
            assertThat(v.firstFailure().name()).as("bit %d of byte 0x%03x", bit, i).isIn(reasons);
        }
    }

    @Test
    void aBitInTheVcekIsRefused() throws CertificateEncodingException, SnpFormatException {
        byte[] vcek = SnpSamples.goVcek().getEncoded();
        int hwid = SnpSamples.indexOf(vcek, EndorsementKeyExtensions.of(SnpSamples.goVcek()).hwid());
        X509Certificate tamperedTbs = SnpSamples.certificate(flip(vcek, hwid + 10, 0));
        assertRefused(SnpSamples.goReport(), List.of(tamperedTbs), SnpCheck.CHAIN_SIGNATURES,
                "the VCEK is not signed by SEV-Milan");
        X509Certificate tamperedSignature = SnpSamples.certificate(flip(vcek, vcek.length - 1, 0));
        assertRefused(SnpSamples.goReport(), List.of(tamperedSignature), SnpCheck.CHAIN_SIGNATURES,
                "the VCEK is not signed by SEV-Milan");
    }

    @Test
    void aBitInTheAskIsRefused() throws CertificateEncodingException {
        byte[] ask = milan.ask().getEncoded();
        byte[] key = milan.ask().getPublicKey().getEncoded();
        X509Certificate tamperedKey = SnpSamples.certificate(flip(ask, SnpSamples.indexOf(ask, key) + key.length / 2, 0));
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), tamperedKey), SnpCheck.CHAIN_SIGNATURES,
                "the ASK is not signed by ARK-Milan");
        X509Certificate tamperedSignature = SnpSamples.certificate(flip(ask, ask.length - 1, 0));
        assertRefused(SnpSamples.goReport(), List.of(tamperedSignature, SnpSamples.goVcek()), SnpCheck.CHAIN_SIGNATURES,
                "the ASK is not signed by ARK-Milan");
    }

    @Test
    void aBitInThePresentedArkIsRefused() throws CertificateEncodingException {
        byte[] ark = milan.ark().getEncoded();
        byte[] key = milan.ark().getPublicKey().getEncoded();
        X509Certificate otherKey = SnpSamples.certificate(flip(ark, SnpSamples.indexOf(ark, key) + key.length / 2, 0));
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), milan.ask(), otherKey), SnpCheck.ROOT_PINNED,
                "is not the pinned ARK-Milan");
        X509Certificate badSignature = SnpSamples.certificate(flip(ark, ark.length - 1, 0));
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), milan.ask(), badSignature),
                SnpCheck.CHAIN_SIGNATURES, "the presented ARK is not self-signed by the pinned ARK key");
    }

    // ---- wrong keys, roots and times

    @Test
    void anotherChipsVcekIsRefused() {
        // the virtee Milan VCEK chains to ARK-Milan, but did not sign the go-sev-guest report
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.virteeVcek()), SnpCheck.REPORT_SIGNATURE,
                "does not verify with the VCEK key");
    }

    @Test
    void aMilanVcekWithGenoaAskAndArkIsRefused() {
        List<X509Certificate> chain = new ArrayList<>(SnpSamples.goTrust("ask_ark_genoa.pem"));
        chain.add(SnpSamples.goVcek());
        assertRefused(SnpSamples.goReport(), chain, SnpCheck.ROOT_PINNED,
                "the presented root CN=ARK-Genoa (SPKI SHA-256 " + genoa.arkSpkiSha256() + ") is not the pinned ARK-Milan");
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), turin.ark()), SnpCheck.ROOT_PINNED,
                "is not the pinned ARK-Milan");
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), genoa.ask()), SnpCheck.CHAIN_SIGNATURES,
                "the ASK CN=SEV-Genoa is not the VCEK's issuer CN=SEV-Milan");
    }

    @Test
    void milanEvidenceIsRefusedWhenOnlyGenoaIsPinned() {
        Verdict v = new SnpVerifier(AmdTrustStore.pinned(SnpProduct.GENOA, SnpProduct.TURIN))
                .verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK, AT);
        assertFailed(v, SnpCheck.ROOT_PINNED, "no AMD root is pinned for Milan (pinned: [Genoa, Turin])");
    }

    @Test
    void genoaAndTurinChainsVerifyUpToTheReportAndGenoaIsRefusedAgainstAMilanPin() {
        // no public report matches these VCEKs: their chains verify, then the report signature fails
        for (X509Certificate vcek : List.of(SnpSamples.genoaVcek(), SnpSamples.turinVcek())) {
            Verdict v = verifier.verify(SnpSamples.goReport(), List.of(vcek), DEBUG_OK, AT);
            assertFailed(v, SnpCheck.REPORT_SIGNATURE, "does not verify with the VCEK key");
            assertThat(v.checks()).extracting(Check::name).containsExactly(SnpCheck.REPORT_FORMAT.label(),
                    SnpCheck.CERTIFICATES.label(), SnpCheck.ROOT_PINNED.label(), SnpCheck.CHAIN_SIGNATURES.label(),
                    SnpCheck.VALIDITY.label(), SnpCheck.REPORT_SIGNATURE.label());
        }
        Verdict genoaChain = verifier.verify(SnpSamples.goReport(),
                List.of(SnpSamples.genoaVcek(), genoa.ask(), genoa.ark()), DEBUG_OK, AT);
        assertThat(detail(genoaChain, SnpCheck.CHAIN_SIGNATURES)).isEqualTo(
                "VCEK ← SEV-Genoa ← ARK-Genoa (pinned), RSASSA-PSS/SHA-384");
        Verdict againstMilanPin = new SnpVerifier(AmdTrustStore.pinned(SnpProduct.MILAN))
                .verify(SnpSamples.goReport(), List.of(SnpSamples.genoaVcek(), genoa.ask(), genoa.ark()), DEBUG_OK, AT);
        assertFailed(againstMilanPin, SnpCheck.ROOT_PINNED, "no AMD root is pinned for Genoa");
    }

    @Test
    void aReportWhoseCpuidNamesAnotherProductIsRefused() {
        // the v4 GCE report says Milan; presented with a Turin VCEK
        assertRefused(SnpSamples.gceReportV4(), List.of(SnpSamples.turinVcek()), SnpCheck.CERTIFICATES,
                "the report's CPUID names Milan but the VCEK is issued for Turin");
    }

    @Test
    void anExpiredVcekIsRefused() {
        Instant notAfter = SnpSamples.goVcek().getNotAfter().toInstant(); // 2029-09-24T00:55:28Z
        assertThat(verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK, notAfter).passed())
                .isTrue();
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK,
                notAfter.plusSeconds(1));
        assertFailed(v, SnpCheck.VALIDITY, "SEV-VCEK expired at 2029-09-24T00:55:28Z (verification time 2029-09-24T00:55:29Z)");
    }

    @Test
    void aVcekNotYetValidIsRefused() {
        Instant before = SnpSamples.goVcek().getNotBefore().toInstant().minusSeconds(1);
        assertFailed(verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK, before),
                SnpCheck.VALIDITY, "SEV-VCEK is not valid before 2022-09-24T00:55:28Z");
    }

    @Test
    void anAmdRootPastItsLifetimeIsRefused() {
        Verdict v = verifier.verify(SnpSamples.virteeReport(), List.of(SnpSamples.virteeVcek()), SnpPolicy.defaults(),
                Instant.parse("2046-01-01T00:00:00Z"));
        assertFailed(v, SnpCheck.VALIDITY, "expired");
    }

    // ---- certificates missing or odd

    @Test
    void missingOrUnexpectedCertificatesAreRefused() {
        assertRefused(SnpSamples.goReport(), List.of(), SnpCheck.CERTIFICATES,
                "no VCEK certificate (subject CN=SEV-VCEK) was presented");
        assertRefused(SnpSamples.goReport(), List.of(milan.ask(), milan.ark()), SnpCheck.CERTIFICATES,
                "no VCEK certificate");
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), SnpSamples.virteeVcek()),
                SnpCheck.CERTIFICATES, "2 endorsement key certificates");
        assertRefused(SnpSamples.goReport(), List.of(SnpSamples.goVcek(), milan.ask(), milan.asvk()),
                SnpCheck.CERTIFICATES, "at most one ASK/ASVK");
    }

    @Test
    void aReportClaimingTheVlekNeedsAVlekCertificate() {
        // SIGNING_KEY 1 (VLEK): refused before the signature, since the certificate presented is a VCEK
        assertRefused(flip(SnpSamples.goReport(), 0x48, 2), List.of(SnpSamples.goVcek()), SnpCheck.CERTIFICATES,
                "the report is signed by the VLEK but the certificate is SEV-VCEK");
        byte[] unsigned = SnpSamples.goReport();
        unsigned[0x48] = 7 << 2;
        assertRefused(unsigned, List.of(SnpSamples.goVcek()), SnpCheck.CERTIFICATES, "the report is not signed");
    }

    @Test
    void malformedReportsAreRefusedWithoutThrowing() {
        Verdict v = verifier.verify(new byte[100], List.of(SnpSamples.goVcek()), DEBUG_OK, AT);
        assertFailed(v, SnpCheck.REPORT_FORMAT, "report: is 100 bytes; an SEV-SNP attestation report has 1184 bytes");
        assertThat(v.checks()).hasSize(1);
        assertThat(v.reportData()).isEmpty();
        byte[] v9 = SnpSamples.goReport();
        v9[0] = 9;
        assertRefused(v9, SnpCheck.REPORT_FORMAT, "version: report version 9 is not supported");
    }

    // ---- policy

    @Test
    void debugIsRefusedUnlessExplicitlyAllowed() {
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), SnpPolicy.defaults(), AT);
        assertFailed(v, SnpCheck.DEBUG, "the guest policy allows debugging (POLICY bit 19)");
        // authentic evidence: every policy check is listed, only debug fails
        assertThat(v.checks()).hasSize(SnpCheck.values().length);
        assertThat(v.checks().stream().filter(c -> !c.passed())).hasSize(1);
    }

    @Test
    void aMeasurementNotOnTheAllowListIsRefused() {
        SnpPolicy policy = DEBUG_OK.withAllowedMeasurements(Set.of(VIRTEE_MEASUREMENT));
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), policy, AT);
        assertFailed(v, SnpCheck.MEASUREMENT, GO_MEASUREMENT + " is not on the policy's allow-list");
        assertThat(verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()),
                policy.withAllowedMeasurements(Set.of(GO_MEASUREMENT, VIRTEE_MEASUREMENT)), AT).passed()).isTrue();
    }

    @Test
    void aVmplMismatchIsRefused() {
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK.withRequiredVmpl(2), AT);
        assertFailed(v, SnpCheck.VMPL, "the report was requested at VMPL 0; the policy requires VMPL 2");
        assertThat(verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()), DEBUG_OK.withMaxVmpl(3), AT)
                .passed()).isTrue();
    }

    @Test
    void otherReportDataIsRefused() {
        byte[] expected = new byte[64];
        expected[0] = 1;
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()),
                DEBUG_OK.withReportData(expected), AT);
        assertFailed(v, SnpCheck.REPORT_DATA, "is not the expected 01" + "0".repeat(126));
        byte[] actual = parse(SnpSamples.goReport()).reportData();
        assertThat(verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()),
                DEBUG_OK.withReportData(actual), AT).passed()).isTrue();
    }

    @Test
    void aTcbBelowTheMinimumIsRefused() {
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()),
                DEBUG_OK.withMinimumTcb(TcbVersion.of(2, 0, 8, 115)), AT);
        assertFailed(v, SnpCheck.MINIMUM_TCB, "is below the minimum: snp 5 < 8, microcode 68 < 115");
    }

    @Test
    void aDisallowedSigningKeyIsRefused() {
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()),
                DEBUG_OK.withSigningKeys(EnumSet.of(SigningKeyKind.VLEK)), AT);
        assertFailed(v, SnpCheck.SIGNING_KEY, "the report is signed by the VCEK");
    }

    @Test
    void everyFailedPolicyCheckIsListed() {
        Verdict v = verifier.verify(SnpSamples.goReport(), List.of(SnpSamples.goVcek()),
                SnpPolicy.defaults().withAllowedMeasurements(Set.of(VIRTEE_MEASUREMENT)).withRequiredVmpl(1), AT);
        assertThat(v.checks().stream().filter(c -> !c.passed()).map(Check::name))
                .containsExactly(SnpCheck.DEBUG.label(), SnpCheck.VMPL.label(), SnpCheck.MEASUREMENT.label());
    }

    // ---- helpers

    private Verdict assertRefused(byte[] report, SnpCheck check, String reason) {
        return assertRefused(report, List.of(SnpSamples.goVcek()), check, reason);
    }

    private Verdict assertRefused(byte[] report, List<X509Certificate> chain, SnpCheck check, String reason) {
        Verdict v = verifier.verify(report, chain, DEBUG_OK, AT);
        assertFailed(v, check, reason);
        return v;
    }

    static void assertFailed(Verdict v, SnpCheck check, String reason) {
        assertThat(v.passed()).as(v.checks().toString()).isFalse();
        assertThat(v.firstFailure().name()).as(v.checks().toString()).isEqualTo(check.label());
        assertThat(v.firstFailure().detail()).contains(reason);
        assertThat(check.is(v.firstFailure())).isTrue();
    }

    private static String detail(Verdict v, SnpCheck check) {
        return v.checks().stream().filter(check::is).findFirst().orElseThrow().detail();
    }

    private static SnpReport parse(byte[] report) {
        try {
            return SnpReport.parse(report);
        } catch (SnpFormatException e) {
            throw new AssertionError(e);
        }
    }
}
