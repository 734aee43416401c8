package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The whole verification, RIMs included, on public evidence. No public driver RIM matches a public report, so the
 * driver RIM here is generated with a test PKI (values taken from the report at the indexes NVIDIA's driver RIMs use);
 * the VBIOS RIMs are NVIDIA's own, verified against the pinned NVIDIA RIM root.
 */
class GpuRimVerificationTest {

    static final Instant MID_2024 = Instant.parse("2024-06-01T00:00:00Z");
    /** The indexes NVIDIA's GH100 driver RIMs mark active (NV_GPU_DRIVER_GH100_535.86.09). */
    static final List<Integer> DRIVER_INDEXES = IntStream.concat(IntStream.of(7), IntStream.rangeClosed(21, 41))
            .boxed().toList();

    static final TestPki.Issued RIM_ROOT = TestPki.root("Test RIM root");
    static final TestPki.Issued RIM_CA = TestPki.ca("Test RIM CA", RIM_ROOT);
    static final TestPki.Issued RIM_SIGNER = TestPki.leaf("Test RIM signer", RIM_CA, List.of());
    static final List<X509Certificate> RIM_CHAIN = List.of(RIM_SIGNER.cert(), RIM_CA.cert(), RIM_ROOT.cert());

    private final GpuVerifier verifier = new GpuVerifier(List.of(NvidiaRoots.deviceIdentityCa()),
            List.of(NvidiaRoots.rimSigningRoot(), RIM_ROOT.cert()));
    private static final GpuPolicy UNCHECKED_REVOCATION = GpuPolicy.DEFAULT.withUncheckedRevocationAccepted(true);

    static byte[] driverRim(SpdmReport report, String version, Map<Integer, String> overrides) {
        Map<Integer, String> values = new TreeMap<>(TestRims.fromReport(report, DRIVER_INDEXES));
        values.putAll(overrides);
        return TestRims.signed("GH100", version, values, RIM_SIGNER, RIM_CHAIN);
    }

    private Verdict verify535(byte[] vbiosRim, byte[] driverRim, Instant at) throws Exception {
        GpuSamples.Sample s = GpuSamples.SDK_HOPPER_535;
        return verifier.verify(s.evidence(), s.nonceBytes(),
                new GpuCollateral(List.of(vbiosRim, driverRim), OcspCollateral.empty()), UNCHECKED_REVOCATION, at);
    }

    private static SpdmReport report535() throws Exception {
        return SpdmReport.parse(GpuSamples.SDK_HOPPER_535.evidence().report());
    }

    @Test
    void aPublicReportMatchesNvidiasVbiosRimAndADriverRim() throws Exception {
        byte[] vbios = GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        Verdict v = verify535(vbios, driverRim(report535(), "535.86.09", Map.of()), MID_2024);
        v.checks().forEach(System.out::println);
        assertThat(v.passed()).as(String.valueOf(v.firstFailure())).isTrue();
        assertThat(detail(v, GpuChecks.VBIOS_RIM)).contains("96.00.5E.00.01").contains("HCC RIM L4 Signer");
        assertThat(detail(v, GpuChecks.MEASUREMENTS)).contains("33 active measurements match")
                .contains("index 35 skipped");
        assertThat(detail(v, GpuChecks.DEVICE_REVOCATION)).startsWith("NOT CHECKED");
        assertThat(detail(v, GpuChecks.VBIOS_RIM_REVOCATION)).startsWith("NOT CHECKED");
    }

    @Test
    void nvidiasOtherVbiosRimDiffersAtMeasurement9AndIsRefused() throws Exception {
        byte[] vbios = GpuSamples.bytes(
                "nvidia/attestation-sdk/NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml");
        Verdict v = verify535(vbios, driverRim(report535(), "535.86.09", Map.of()), MID_2024);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.MEASUREMENTS);
        assertThat(v.firstFailure().detail()).contains("9 (VBIOS)");
    }

    @Test
    void aDriverMeasurementMismatchIsRefused() throws Exception {
        byte[] vbios = GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        Verdict v = verify535(vbios, driverRim(report535(), "535.86.09", Map.of(22, "ee".repeat(48))), MID_2024);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.MEASUREMENTS);
        assertThat(v.firstFailure().detail()).contains("22 (driver)");
    }

    @Test
    void aDriverRimForAnotherVersionIsNotUsed() throws Exception {
        byte[] vbios = GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        Verdict v = verify535(vbios, driverRim(report535(), "535.86.10", Map.of()), MID_2024);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DRIVER_RIM);
        assertThat(v.firstFailure().detail()).contains("no driver RIM for version 535.86.09");
    }

    @Test
    void anExpiredVbiosRimIsRefused() throws Exception {
        byte[] vbios = GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        Verdict v = verify535(vbios, driverRim(report535(), "535.86.09", Map.of()),
                Instant.parse("2025-07-01T00:00:00Z"));
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.VBIOS_RIM);
        assertThat(v.firstFailure().detail()).contains("expired at 2025-06-22");
    }

    @Test
    void overlappingDriverAndVbiosMeasurementsAreRefused() throws Exception {
        byte[] vbios = GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        SpdmReport r = report535();
        Verdict v = verify535(vbios, driverRim(r, "535.86.09", TestRims.fromReport(r, List.of(3))), MID_2024);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.MEASUREMENTS);
        assertThat(v.firstFailure().detail()).contains("both have an active measurement at index 3");
    }

    @Test
    void aRimSignedUnderAnUntrustedRootIsRefused() throws Exception {
        byte[] vbios = GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        GpuVerifier nvidiaOnly = new GpuVerifier();
        GpuSamples.Sample s = GpuSamples.SDK_HOPPER_535;
        Verdict v = nvidiaOnly.verify(s.evidence(), s.nonceBytes(), new GpuCollateral(List.of(vbios,
                driverRim(report535(), "535.86.09", Map.of())), OcspCollateral.empty()), UNCHECKED_REVOCATION, MID_2024);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DRIVER_RIM);
        assertThat(v.firstFailure().detail()).contains("not the pinned NVIDIA RIM signing root");
    }

    @Test
    void hostileRimsInTheCollateralFailTheRimCheckNotTheVerifier() throws Exception {
        byte[] xxe = ("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        GpuSamples.Sample s = GpuSamples.SDK_HOPPER_535;
        Verdict v = verifier.verify(s.evidence(), s.nonceBytes(), new GpuCollateral(List.of(xxe),
                OcspCollateral.empty()), UNCHECKED_REVOCATION, MID_2024);
        assertThat(v.firstFailure().name()).isEqualTo(GpuChecks.DRIVER_RIM);
        assertThat(v.firstFailure().detail()).contains("unparsable").contains("DOCTYPE");
    }

    static String detail(Verdict v, String check) {
        return v.checks().stream().filter(c -> c.name().equals(check)).map(Check::detail).findFirst().orElseThrow();
    }

    static List<String> names(Verdict v) {
        List<String> out = new ArrayList<>();
        v.checks().forEach(c -> out.add(c.name()));
        return out;
    }
}
