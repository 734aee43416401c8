package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/** Every change to public evidence is refused, with the check that caught it named. */
class GpuTamperTest {

    private static final Set<String> CHECK_NAMES = Set.of(GpuChecks.REPORT_FORMAT, GpuChecks.DEVICE_CHAIN,
            GpuChecks.ARCHITECTURE, GpuChecks.FWID, GpuChecks.REPORT_SIGNATURE, GpuChecks.NONCE, GpuChecks.DEBUG_STATE);
    static final List<GpuSamples.Sample> SAMPLES = List.of(GpuSamples.NVTRUST_HOPPER, GpuSamples.SDK_BLACKWELL);

    private final GpuVerifier verifier = new GpuVerifier();

    private Verdict verify(byte[] report, byte[] chain, byte[] nonce) {
        return verify(report, chain, nonce, GpuSamples.AT);
    }

    private Verdict verify(byte[] report, byte[] chain, byte[] nonce, Instant at) {
        return verifier.verify(new GpuEvidence(report, chain), nonce, GpuCollateral.none(), GpuSamples.EVIDENCE_ONLY,
                at);
    }

    private static Check refused(Verdict v) {
        assertThat(v.passed()).isFalse();
        Check failure = v.firstFailure();
        assertThat(failure).isNotNull();
        assertThat(CHECK_NAMES).contains(failure.name());
        assertThat(failure.detail()).isNotBlank();
        return failure;
    }

    /** Bit positions: every bit of the request and response header, then a stride over the rest. */
    private static List<Integer> positions(int bytes) {
        List<Integer> out = new ArrayList<>();
        for (int bit = 0; bit < 48 * 8; bit++) {
            out.add(bit);
        }
        for (int bit = 48 * 8; bit < bytes * 8; bit += 61) {
            out.add(bit);
        }
        return out;
    }

    private static byte[] flip(byte[] data, int bit) {
        byte[] copy = data.clone();
        copy[bit / 8] ^= (byte) (1 << (bit % 8));
        return copy;
    }

    @ParameterizedTest
    @FieldSource("SAMPLES")
    void everyReportBitFlipIsRefused(GpuSamples.Sample sample) {
        GpuEvidence good = sample.evidence();
        byte[] report = good.report();
        int checked = 0;
        for (int bit : positions(report.length)) {
            Check failure = refused(verify(flip(report, bit), good.certificateChain(), sample.nonceBytes()));
            if (bit / 8 >= report.length - SpdmReport.SIGNATURE_SIZE) {
                assertThat(failure.name()).isEqualTo(GpuChecks.REPORT_SIGNATURE);
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(400);
    }

    @ParameterizedTest
    @FieldSource("SAMPLES")
    void everySignatureBitFlipIsRefusedAsASignatureFailure(GpuSamples.Sample sample) {
        GpuEvidence good = sample.evidence();
        byte[] report = good.report();
        for (int bit = (report.length - SpdmReport.SIGNATURE_SIZE) * 8; bit < report.length * 8; bit += 5) {
            Check failure = refused(verify(flip(report, bit), good.certificateChain(), sample.nonceBytes()));
            assertThat(failure.name()).as("bit " + bit).isEqualTo(GpuChecks.REPORT_SIGNATURE);
        }
    }

    @ParameterizedTest
    @FieldSource("SAMPLES")
    void everyCertificateBitFlipIsRefused(GpuSamples.Sample sample) throws Exception {
        GpuEvidence good = sample.evidence();
        List<X509Certificate> chain = GpuCerts.pemChain(good.certificateChain(), "chain");
        for (int i = 0; i < chain.size(); i++) {
            byte[] der = chain.get(i).getEncoded();
            for (int bit = 0; bit < der.length * 8; bit += 37) {
                List<byte[]> ders = new ArrayList<>();
                for (X509Certificate c : chain) {
                    ders.add(c.getEncoded());
                }
                ders.set(i, flip(der, bit));
                Check failure = refused(verify(good.report(), pem(ders), sample.nonceBytes()));
                assertThat(failure.name()).as("certificate " + i + " bit " + bit)
                        .isIn(GpuChecks.DEVICE_CHAIN, GpuChecks.FWID, GpuChecks.REPORT_SIGNATURE);
            }
        }
    }

    static byte[] pem(List<byte[]> ders) {
        StringBuilder s = new StringBuilder();
        for (byte[] der : ders) {
            s.append("-----BEGIN CERTIFICATE-----\n").append(Base64.getMimeEncoder().encodeToString(der))
                    .append("\n-----END CERTIFICATE-----\n");
        }
        return s.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aWrongNonceIsRefused() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        byte[] other = s.nonceBytes();
        other[31] ^= 1;
        Check failure = refused(verify(s.evidence().report(), s.evidence().certificateChain(), other));
        assertThat(failure.name()).isEqualTo(GpuChecks.NONCE);
        assertThat(failure.detail()).contains("931d8dd0");
        Check none = refused(verify(s.evidence().report(), s.evidence().certificateChain(), null));
        assertThat(none.name()).isEqualTo(GpuChecks.NONCE);
    }

    @Test
    void nvidiasInvalidSignatureSampleIsRefused() {
        byte[] report = GpuEvidence.decodeReport(GpuSamples.bytes(
                "nvidia/attestation-sdk/gpu/hopperAttestationReportInvalidSignature.txt"));
        byte[] chain = GpuSamples.bytes("nvidia/attestation-sdk/gpu/hopperCertChainExpired.txt");
        Check failure = refused(verify(report, chain, HexFormat.of().parseHex(GpuSamples.NONCE_931D)));
        assertThat(failure.name()).isIn(GpuChecks.FWID, GpuChecks.REPORT_SIGNATURE);
    }

    @Test
    void anotherGpusChainIsRefused() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        byte[] chain = GpuSamples.SDK_HOPPER_580.evidence().certificateChain();
        Check failure = refused(verify(s.evidence().report(), chain, s.nonceBytes()));
        assertThat(failure.name()).isEqualTo(GpuChecks.FWID);
    }

    @Test
    void trusteesBrokenChainsAreRefused() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        for (String c : List.of("case2", "case3", "case4")) {
            byte[] chain = GpuSamples.bytes("nvidia/trustee/hopper_cert_chain_" + c + ".txt");
            Check failure = refused(verify(s.evidence().report(), chain, s.nonceBytes()));
            assertThat(failure.name()).as(c).isEqualTo(GpuChecks.DEVICE_CHAIN);
        }
    }

    @Test
    void aChainNotYetValidIsRefused() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        Check failure = refused(verify(s.evidence().report(), s.evidence().certificateChain(), s.nonceBytes(),
                Instant.parse("2019-01-01T00:00:00Z")));
        assertThat(failure.name()).isEqualTo(GpuChecks.DEVICE_CHAIN);
        assertThat(failure.detail()).contains("not valid before");
    }

    @Test
    void aChainToAnotherRootIsRefused() throws Exception {
        // Trust only the RIM root as "device root": the device chain's pinned root is then unknown.
        GpuVerifier other = new GpuVerifier(List.of(NvidiaRoots.rimSigningRoot()), List.of(NvidiaRoots.rimSigningRoot()));
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        Verdict v = other.verify(s.evidence(), s.nonceBytes(), GpuCollateral.none(), GpuSamples.EVIDENCE_ONLY,
                GpuSamples.AT);
        Check failure = refused(v);
        assertThat(failure.name()).isEqualTo(GpuChecks.DEVICE_CHAIN);
        assertThat(failure.detail()).contains("not the pinned NVIDIA Device Identity CA");
    }

    @Test
    void truncatedOversizedAndPaddedReportsAreRefusedAsFormat() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        byte[] report = s.evidence().report();
        byte[] chain = s.evidence().certificateChain();
        for (int len = 0; len < report.length; len += 97) {
            Check failure = refused(verify(Arrays.copyOf(report, len), chain, s.nonceBytes()));
            assertThat(failure.name()).as("length " + len).isEqualTo(GpuChecks.REPORT_FORMAT);
        }
        assertThat(refused(verify(Arrays.copyOf(report, report.length - 1), chain, s.nonceBytes())).name())
                .isEqualTo(GpuChecks.REPORT_FORMAT);
        assertThat(refused(verify(new byte[SpdmReport.MAX_SIZE + 1], chain, s.nonceBytes())).detail())
                .contains("more than");
        byte[] padded = Arrays.copyOf(report, report.length + 2);
        padded[padded.length - 1] = 1;
        assertThat(refused(verify(padded, chain, s.nonceBytes())).detail()).contains("not zero padding");
        byte[] tooLong = Arrays.copyOf(report, report.length + SpdmReport.MAX_PADDING + 1);
        assertThat(refused(verify(tooLong, chain, s.nonceBytes())).name()).isEqualTo(GpuChecks.REPORT_FORMAT);
    }

    @Test
    void aBlockCountThatDisagreesWithTheRecordIsRefusedAsFormat() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        byte[] report = s.evidence().report();
        int numberOfBlocks = SpdmReport.REQUEST_SIZE + 4;
        for (int count : List.of(0, 63, 65, 255)) {
            byte[] changed = report.clone();
            changed[numberOfBlocks] = (byte) count;
            Check failure = refused(verify(changed, s.evidence().certificateChain(), s.nonceBytes()));
            assertThat(failure.name()).isEqualTo(GpuChecks.REPORT_FORMAT);
            assertThat(failure.detail()).containsAnyOf("NumberOfBlocks", "MeasurementRecord", "measurement block");
        }
    }

    @Test
    void garbageChainsAreRefusedAsChainFailures() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        for (String chain : List.of("", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")) {
            Check failure = refused(verify(s.evidence().report(), chain.getBytes(StandardCharsets.US_ASCII),
                    s.nonceBytes()));
            assertThat(failure.name()).isEqualTo(GpuChecks.DEVICE_CHAIN);
        }
    }

    @Test
    void aChainOfMoreThanEightCertificatesIsRefused() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        String chain = new String(s.evidence().certificateChain(), StandardCharsets.US_ASCII);
        Check failure = refused(verify(s.evidence().report(), (chain + chain).getBytes(StandardCharsets.US_ASCII),
                s.nonceBytes()));
        assertThat(failure.name()).isEqualTo(GpuChecks.DEVICE_CHAIN);
        assertThat(failure.detail()).contains("more than 8 certificates");
    }

    @Test
    void anArchitectureThePolicyExcludesIsRefused() {
        GpuSamples.Sample s = GpuSamples.SDK_BLACKWELL;
        Verdict v = verifier.verify(s.evidence(), s.nonceBytes(), GpuCollateral.none(),
                GpuSamples.EVIDENCE_ONLY.withAllowedArchitectures(GpuArchitecture.HOPPER), GpuSamples.AT);
        assertThat(refused(v).name()).isEqualTo(GpuChecks.ARCHITECTURE);
    }

    @Test
    void withoutOcspCollateralRevocationFailsUnlessThePolicyAcceptsIt() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        Verdict v = verifier.verify(s.evidence(), s.nonceBytes(), GpuCollateral.none(),
                GpuPolicy.DEFAULT.withRimsRequired(false), GpuSamples.AT);
        Check failure = v.firstFailure();
        assertThat(failure.name()).isEqualTo(GpuChecks.DEVICE_REVOCATION);
        assertThat(failure.detail()).contains("no OCSP collateral");
        Verdict accepted = verifier.verify(s.evidence(), s.nonceBytes(), GpuCollateral.none(), GpuSamples.EVIDENCE_ONLY,
                GpuSamples.AT);
        assertThat(accepted.checks().stream().filter(c -> c.name().equals(GpuChecks.DEVICE_REVOCATION)).findFirst()
                .orElseThrow().detail()).startsWith("NOT CHECKED");
    }

    @Test
    void withoutRimsTheDefaultPolicyRefuses() {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        Verdict v = verifier.verify(s.evidence(), s.nonceBytes(), GpuCollateral.none(),
                GpuPolicy.DEFAULT.withUncheckedRevocationAccepted(true), GpuSamples.AT);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DRIVER_RIM);
        assertThat(v.firstFailure().detail()).contains("no driver RIM for version 550.90.07");
    }
}
