package dev.veil.protocol.attestation.tdx;

import static dev.veil.protocol.attestation.tdx.Samples.AT_2023;
import static dev.veil.protocol.attestation.tdx.Samples.AT_2025;
import static dev.veil.protocol.attestation.tdx.Samples.AT_2026;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * End-to-end verification of real public quotes and collateral (src/test/resources/tdx/README.md explains each
 * sample and why each verification time was chosen).
 */
class TdxVerifierTest {

    private static final TdxVerifier VERIFIER = new TdxVerifier();
    private static final TdxPolicy NO_COLLATERAL = TdxPolicy.DEFAULT.withCollateralOptional(true);
    /** Offset of the v4 quote signature: header 48 + body 584 + sig_data_len 4. */
    private static final int V4_SIG = 0x278 + 4;

    // ---- every sample verifies

    @Test
    void dcapQvlV4QuoteVerifiesUpToDateWithItsCollateral() {
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.QVL_V4), Samples.collateral(Samples.QVL_COLLATERAL_2025),
                TdxPolicy.DEFAULT, AT_2025);
        assertThat(v.passed()).as(describe(v)).isTrue();
        assertThat(v.format()).isEqualTo("tdx");
        assertThat(names(v)).containsExactly(TdxChecks.QUOTE_FORMAT, TdxChecks.QE_VENDOR, TdxChecks.PCK_CHAIN,
                TdxChecks.PCK_EXTENSIONS, TdxChecks.QE_REPORT_SIGNATURE, TdxChecks.QE_REPORT_DATA,
                TdxChecks.QUOTE_SIGNATURE, TdxChecks.ROOT_CA_CRL, TdxChecks.PCK_CRL, TdxChecks.TCB_INFO_SIGNATURE,
                TdxChecks.TCB_INFO_VALIDITY, TdxChecks.QE_IDENTITY_SIGNATURE, TdxChecks.QE_IDENTITY_VALIDITY,
                TdxChecks.FMSPC, TdxChecks.TDX_MODULE, TdxChecks.QE_IDENTITY, TdxChecks.TCB_STATUS, TdxChecks.DEBUG,
                TdxChecks.MRTD);
        assertThat(check(v, TdxChecks.TCB_STATUS).detail()).startsWith("UpToDate");
        assertThat(v.measurement()).isEqualTo("91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407"
                + "de03ae6dc5f87f27428b2538873118b7");
        assertThat(HexFormat.of().formatHex(v.reportData())).startsWith("9a9d48e7f6799642");
    }

    @Test
    void goTdxGuestV5QuoteVerifiesUpToDateWithCollateralOfItsFmspc() {
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V5), Samples.collateral(Samples.QVL_COLLATERAL_2026),
                TdxPolicy.DEFAULT, AT_2026);
        assertThat(v.passed()).as(describe(v)).isTrue();
        assertThat(check(v, TdxChecks.TCB_STATUS).detail()).startsWith("UpToDate")
                .contains("TDX module TDX_01 SVN 11 UpToDate");
    }

    @Test
    void goTdxGuestV5QuoteVerifiesWithGoTdxGuestsOwnV5TcbInfo() throws TdxFormatException {
        // go-tdx-guest's TCB info (2026-02-01..03-03) is signed with the same key as the renewed TCB Signing
        // certificate in the 2026 dcap-qvl collateral, whose QE identity and CRLs complete the set.
        TdxCollateral mixed = Samples.collateralWithTcbInfo(Samples.QVL_COLLATERAL_2026,
                Samples.bytes(Samples.GO_TCB_INFO_V5));
        Instant at = Instant.parse("2026-02-20T00:00:00Z");
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V5), mixed, TdxPolicy.DEFAULT, at);
        assertThat(v.passed()).as(describe(v)).isTrue();
        // after its nextUpdate, that TCB info is expired
        Verdict late = VERIFIER.verify(Samples.bytes(Samples.GO_V5), mixed, TdxPolicy.DEFAULT,
                Instant.parse("2026-03-10T00:00:00Z"));
        assertFailed(late, TdxChecks.TCB_INFO_VALIDITY, "expired: nextUpdate 2026-03-03T14:49:26Z");
    }

    @Test
    void everyQuoteVerifiesWithoutCollateralWhenThePolicyMakesItOptional() {
        assertPassedWithoutCollateral(Samples.GO_V4, AT_2023);
        assertPassedWithoutCollateral(Samples.GO_V5, AT_2026);
        assertPassedWithoutCollateral(Samples.GO_COS, Instant.parse("2024-08-01T00:00:00Z"));
        assertPassedWithoutCollateral(Samples.QVL_V4, AT_2025);
        assertPassedWithoutCollateral(Samples.QVL_OUTDATED, AT_2026);
    }

    @Test
    void withoutCollateralTheTcbStatusIsNotCheckedAndFailsByDefault() {
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V4), null, TdxPolicy.DEFAULT, AT_2023);
        assertFailed(v, TdxChecks.TCB_STATUS, "not checked: no collateral supplied");
    }

    @Test
    void goTdxGuestV4QuoteWithItsCollateralIsRefusedBecauseNoTcbLevelMatches() {
        // Every signature, CRL and identity check passes; the 2023 TCB info lists only levels above this platform's
        // CPU SVN (go-tdx-guest's own test expects "no matching TCB level found" for this pair).
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V4), Samples.collateral(Samples.GO_COLLATERAL),
                TdxPolicy.DEFAULT, AT_2023);
        assertFailed(v, TdxChecks.TCB_STATUS, "TCB not supported by the collateral: no TCB level matches the PCK"
                + " certificate's SGX TCB components");
        assertThat(v.checks()).hasSize(17);
        assertThat(v.checks().subList(0, 16)).allMatch(Check::passed);
    }

    @Test
    void dcapQvlOutdatedQuoteIsRefusedBecauseItsTcbIsBelowEveryLevel() {
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.QVL_OUTDATED),
                Samples.collateral(Samples.QVL_COLLATERAL_2026), TdxPolicy.DEFAULT, AT_2026);
        assertFailed(v, TdxChecks.TCB_STATUS, "TCB not supported by the collateral");
    }

    // ---- single-bit changes are refused, each by the check that covers the bit

    @Test
    void aBitInTheQuoteSignatureIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), V4_SIG + 10, 0)), TdxChecks.QUOTE_SIGNATURE,
                "not signed by the attestation key");
    }

    @Test
    void aBitInMrtdIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), 0x30 + 0x88 + 5, 3)), TdxChecks.QUOTE_SIGNATURE,
                "not signed by the attestation key");
    }

    @Test
    void aBitInTheReportDataIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), 0x30 + 0x208 + 63, 7)), TdxChecks.QUOTE_SIGNATURE,
                "not signed by the attestation key");
    }

    @Test
    void aBitInTheHeaderIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), 0x1C, 0)), TdxChecks.QUOTE_SIGNATURE,
                "not signed by the attestation key");
    }

    @Test
    void aBitInTheDebugAttributeIsRefusedAsTampering() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), 0x30 + 0x78, 0)), TdxChecks.QUOTE_SIGNATURE,
                "not signed by the attestation key");
    }

    @Test
    void aBitInTheQeReportIsRefused() {
        int qeReport = V4_SIG + 128 + 6;
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), qeReport + 0x40, 1)), TdxChecks.QE_REPORT_SIGNATURE,
                "not signed by the PCK certificate's key");
        // in the QE report's own report data
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), qeReport + 0x140, 1)), TdxChecks.QE_REPORT_SIGNATURE,
                "not signed by the PCK certificate's key");
    }

    @Test
    void aBitInTheQeReportSignatureIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), V4_SIG + 128 + 6 + 384 + 20, 2)),
                TdxChecks.QE_REPORT_SIGNATURE, "not signed by the PCK certificate's key");
    }

    @Test
    void aBitInTheAttestationKeyIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), V4_SIG + 64 + 7, 4)), TdxChecks.QE_REPORT_DATA,
                "the attestation key is not the one the Quoting Enclave certified");
    }

    @Test
    void aBitInTheQeAuthDataIsRefused() {
        assertFailed(verifyQvlV4(Samples.flipBit(qvlV4(), V4_SIG + 128 + 6 + 384 + 64 + 2, 0)),
                TdxChecks.QE_REPORT_DATA, "not SHA-256(attestation key || QE authentication data)");
    }

    @Test
    void aBitInThePckCertificateIsRefused() {
        byte[] quote = flipCertificateBit(qvlV4(), 0);
        assertFailed(verifyQvlV4(quote), TdxChecks.PCK_CHAIN, "does not validate to the pinned Intel SGX Root CA");
    }

    @Test
    void aBitInThePckCaCertificateIsRefused() {
        assertFailed(verifyQvlV4(flipCertificateBit(qvlV4(), 1)), TdxChecks.PCK_CHAIN,
                "does not validate to the pinned Intel SGX Root CA");
    }

    @Test
    void aBitInTheRootCertificateIsRefused() {
        assertFailed(verifyQvlV4(flipCertificateBit(qvlV4(), 2)), TdxChecks.PCK_CHAIN,
                "not the pinned Intel SGX Root CA");
    }

    @Test
    void aBitInTheTcbInfoSignatureIsRefused() throws TdxFormatException {
        String dir = Samples.QVL_COLLATERAL_2025;
        byte[] tcbInfo = flipHexBit(Samples.bytes(dir + "/tcb_info.json"), "\"signature\":\"", 17);
        Verdict v = VERIFIER.verify(qvlV4(), Samples.collateralWithTcbInfo(dir, tcbInfo), TdxPolicy.DEFAULT, AT_2025);
        assertFailed(v, TdxChecks.TCB_INFO_SIGNATURE, "the TCB info is not signed by the 'Intel SGX TCB Signing'");
    }

    @Test
    void aBitInTheSignedTcbInfoIsRefused() throws TdxFormatException {
        String dir = Samples.QVL_COLLATERAL_2025;
        // "tcbEvaluationDataNumber":17 -> 16: still valid JSON, no longer what Intel signed
        byte[] tcbInfo = new String(Samples.bytes(dir + "/tcb_info.json"), StandardCharsets.US_ASCII)
                .replace("\"tcbEvaluationDataNumber\":17", "\"tcbEvaluationDataNumber\":16")
                .getBytes(StandardCharsets.US_ASCII);
        Verdict v = VERIFIER.verify(qvlV4(), Samples.collateralWithTcbInfo(dir, tcbInfo), TdxPolicy.DEFAULT, AT_2025);
        assertFailed(v, TdxChecks.TCB_INFO_SIGNATURE, "not signed");
    }

    @Test
    void collateralOfAnotherFmspcIsRefused() {
        Verdict v = VERIFIER.verify(qvlV4(), Samples.collateral(Samples.QVL_COLLATERAL_2026), TdxPolicy.DEFAULT,
                AT_2026);
        assertFailed(v, TdxChecks.FMSPC, "the TCB info is for FMSPC 90c06f000000 but the PCK certificate's FMSPC is"
                + " b0c06f000000");
    }

    // ---- time

    @Test
    void expiredCollateralIsRefused() {
        // the PCK CRL and QE identity of this set expire 2023-07-08, the TCB info 2023-07-18
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V4), Samples.collateral(Samples.GO_COLLATERAL),
                TdxPolicy.DEFAULT, Instant.parse("2023-07-10T00:00:00Z"));
        assertFailed(v, TdxChecks.PCK_CRL, "expired: nextUpdate 2023-07-08T07:27:52Z");
        Verdict later = VERIFIER.verify(qvlV4(), Samples.collateral(Samples.QVL_COLLATERAL_2025), TdxPolicy.DEFAULT,
                Instant.parse("2025-08-01T00:00:00Z"));
        assertFailed(later, TdxChecks.PCK_CRL, "expired");
    }

    @Test
    void collateralIssuedAfterTheVerificationTimeIsRefused() {
        Verdict v = VERIFIER.verify(qvlV4(), Samples.collateral(Samples.QVL_COLLATERAL_2025), TdxPolicy.DEFAULT,
                Instant.parse("2025-06-19T10:20:00Z"));
        assertFailed(v, TdxChecks.QE_IDENTITY_VALIDITY, "was issued at 2025-06-19T10:32:27Z, after the verification time");
    }

    @Test
    void aPckCertificateNotYetValidIsRefused() {
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V5), null, NO_COLLATERAL,
                Instant.parse("2026-01-01T00:00:00Z"));
        assertFailed(v, TdxChecks.PCK_CHAIN, "is not valid before 2026-01-27T14:36:27Z");
    }

    @Test
    void anExpiredTcbSigningCertificateIsRefused() throws TdxFormatException {
        // The 2026 collateral with go-tdx-guest's issuer chain, whose TCB Signing certificate (same key as the
        // renewed one) expired 2025-05-21: the signature is good, the certificate is not valid at the time.
        String dir = Samples.QVL_COLLATERAL_2026;
        TdxCollateral oldSigner = TdxCollateral.parse(Samples.bytes(dir + "/tcb_info.json"),
                Samples.bytes(Samples.GO_COLLATERAL + "/tcb_info_issuer_chain.pem"),
                Samples.bytes(dir + "/qe_identity.json"),
                Samples.bytes(dir + "/qe_identity_issuer_chain.pem"), List.of(Samples.bytes(dir + "/pck_crl.der")),
                Samples.bytes(dir + "/root_ca_crl.der"));
        Verdict v = VERIFIER.verify(Samples.bytes(Samples.GO_V5), oldSigner, TdxPolicy.DEFAULT, AT_2026);
        assertFailed(v, TdxChecks.TCB_INFO_SIGNATURE, "certificate does not validate to the pinned Intel SGX Root CA");
        assertThat(v.firstFailure().detail())
                .contains("certificate 'Intel SGX TCB Signing' expired at 2025-05-21T10:50:10Z");
    }

    // ---- policy

    @Test
    void anMrtdNotAllowedIsRefused() {
        String other = "00".repeat(48);
        Verdict v = VERIFIER.verify(qvlV4(), Samples.collateral(Samples.QVL_COLLATERAL_2025),
                TdxPolicy.DEFAULT.withAllowedMrTd(other), AT_2025);
        assertFailed(v, TdxChecks.MRTD, "is not allowed by the policy");
        Verdict ok = VERIFIER.verify(qvlV4(), Samples.collateral(Samples.QVL_COLLATERAL_2025),
                TdxPolicy.DEFAULT.withAllowedMrTd(other, v.measurement().toUpperCase()), AT_2025);
        assertThat(ok.passed()).as(describe(ok)).isTrue();
    }

    @Test
    void rtmrXfamMrseamAndReportDataAreCheckedWhenConfigured() throws TdxFormatException {
        TdReport r = TdxQuote.parse(qvlV4()).report();
        HexFormat hex = HexFormat.of();
        TdxPolicy exact = NO_COLLATERAL.withRtmr(0, hex.formatHex(r.rtmr(0))).withRtmr(3, hex.formatHex(r.rtmr(3)))
                .withXfam(hex.formatHex(r.xfam())).withAllowedMrSeam(hex.formatHex(r.mrSeam()))
                .withReportData(r.reportData());
        Verdict ok = VERIFIER.verify(qvlV4(), null, exact, AT_2025);
        assertThat(ok.passed()).as(describe(ok)).isTrue();
        assertThat(names(ok)).contains(TdxChecks.rtmr(0), TdxChecks.rtmr(3), TdxChecks.XFAM, TdxChecks.MRSEAM,
                TdxChecks.REPORT_DATA);
        assertFailed(VERIFIER.verify(qvlV4(), null, exact.withRtmr(2, "11".repeat(48)), AT_2025), TdxChecks.rtmr(2),
                "is not the expected 1111");
        assertFailed(VERIFIER.verify(qvlV4(), null, exact.withXfam("e700060000000000"), AT_2025), TdxChecks.XFAM,
                "is not the expected e700060000000000");
        assertFailed(VERIFIER.verify(qvlV4(), null, exact.withAllowedMrSeam("22".repeat(48)), AT_2025),
                TdxChecks.MRSEAM, "is not allowed");
        assertFailed(VERIFIER.verify(qvlV4(), null, exact.withReportData(new byte[64]), AT_2025),
                TdxChecks.REPORT_DATA, "is not the required 0000");
    }

    @Test
    void theDebugBitIsRefusedUnlessExplicitlyAllowed() throws TdxFormatException {
        // No public quote of a debug TD exists (and setting the bit breaks the quote signature, see above), so the
        // policy step is checked on the TD report of a real quote with the DEBUG bit set.
        TdReport debug = TdxQuote.parse(Samples.flipBit(qvlV4(), 0x30 + 0x78, 0)).report();
        assertThat(debug.debug()).isTrue();
        List<Check> refused = PolicyChecks.checks(debug, TdxPolicy.DEFAULT);
        assertThat(refused.getFirst().name()).isEqualTo(TdxChecks.DEBUG);
        assertThat(refused.getFirst().passed()).isFalse();
        assertThat(refused.getFirst().detail()).contains("the TD is debuggable");
        List<Check> allowed = PolicyChecks.checks(debug, TdxPolicy.DEFAULT.withDebugAllowed(true));
        assertThat(allowed).allMatch(Check::passed);
        assertThat(allowed.getFirst().detail()).contains("DEBUGGABLE TD, allowed only because the policy says so");
        assertThat(PolicyChecks.checks(TdxQuote.parse(qvlV4()).report(), TdxPolicy.DEFAULT)).allMatch(Check::passed);
    }

    @Test
    void garbageNeverThrows() {
        assertFailed(VERIFIER.verify(new byte[10], null, TdxPolicy.DEFAULT, AT_2025), TdxChecks.QUOTE_FORMAT, "header");
        assertFailed(VERIFIER.verify(null, null, TdxPolicy.DEFAULT, AT_2025), TdxChecks.QUOTE_FORMAT, "quote");
        // a PCK chain that is not PEM
        byte[] quote = qvlV4();
        int pem = indexOf(quote, "-----BEGIN CERTIFICATE-----".getBytes(StandardCharsets.US_ASCII), 0);
        quote[pem + 30] = '*';
        assertFailed(verifyQvlV4(quote), TdxChecks.PCK_CHAIN, "PCK certificate chain");
    }

    // ---- helpers

    private static byte[] qvlV4() {
        return Samples.bytes(Samples.QVL_V4);
    }

    private static Verdict verifyQvlV4(byte[] quote) {
        return VERIFIER.verify(quote, Samples.collateral(Samples.QVL_COLLATERAL_2025), TdxPolicy.DEFAULT, AT_2025);
    }

    private static void assertPassedWithoutCollateral(String sample, Instant at) {
        Verdict v = VERIFIER.verify(Samples.bytes(sample), null, NO_COLLATERAL, at);
        assertThat(v.passed()).as(sample + ": " + describe(v)).isTrue();
        assertThat(check(v, TdxChecks.TCB_STATUS).detail()).startsWith("NOT CHECKED");
    }

    static void assertFailed(Verdict v, String check, String reason) {
        assertThat(v.passed()).as(describe(v)).isFalse();
        assertThat(v.firstFailure().name()).as(describe(v)).isEqualTo(check);
        assertThat(v.firstFailure().detail()).contains(reason);
        assertThat(v.checks().getLast()).isEqualTo(v.firstFailure());
    }

    private static Check check(Verdict v, String name) {
        return v.checks().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no check " + name + " in " + describe(v)));
    }

    private static List<String> names(Verdict v) {
        return v.checks().stream().map(Check::name).toList();
    }

    static String describe(Verdict v) {
        StringBuilder b = new StringBuilder();
        for (Check c : v.checks()) {
            b.append(c.passed() ? "\n  ok   " : "\n  FAIL ").append(c.name()).append(": ").append(c.detail());
        }
        return b.toString();
    }

    /**
     * Flips one bit of certificate {@code index} of the quote's PEM chain: the lowest bit of a base64 character
     * 24 characters into the certificate (inside its serial number), which is one bit of the DER encoding.
     */
    private static byte[] flipCertificateBit(byte[] quote, int index) {
        byte[] begin = "-----BEGIN CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII);
        int at = -1;
        for (int i = 0; i <= index; i++) {
            at = indexOf(quote, begin, at + 1);
        }
        int pos = at + begin.length + 21;
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        byte[] out = quote.clone();
        out[pos] = (byte) alphabet.charAt(alphabet.indexOf(quote[pos]) ^ 1);
        return out;
    }

    /** Flips the lowest bit of the hex digit {@code offset} characters after {@code marker}. */
    private static byte[] flipHexBit(byte[] json, String marker, int offset) {
        int pos = indexOf(json, marker.getBytes(StandardCharsets.US_ASCII), 0) + marker.length() + offset;
        byte[] out = json.clone();
        int digit = Character.digit(json[pos], 16) ^ 1;
        out[pos] = (byte) Character.forDigit(digit, 16);
        return out;
    }

    private static int indexOf(byte[] data, byte[] needle, int from) {
        outer:
        for (int i = from; i <= data.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
