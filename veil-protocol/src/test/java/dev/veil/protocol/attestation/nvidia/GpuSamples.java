package dev.veil.protocol.attestation.nvidia;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/** The public GPU evidence under {@code src/test/resources/nvidia/} (sources in its README) and how each verifies. */
final class GpuSamples {

    /** A time at which every device chain of the samples is valid. */
    static final Instant AT = Instant.parse("2025-06-01T00:00:00Z");

    /**
     * One good sample.
     *
     * @param name   where it comes from
     * @param report the report resource
     * @param chain  the PEM chain resource
     * @param nonce  the nonce it answers, hex
     * @param arch   its architecture
     */
    record Sample(String name, String report, String chain, String nonce, GpuArchitecture arch) {
        GpuEvidence evidence() {
            return new GpuEvidence(GpuEvidence.decodeReport(bytes(report)), bytes(chain));
        }

        byte[] nonceBytes() {
            return HexFormat.of().parseHex(nonce);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static final String NONCE_931D = "931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb";

    static final Sample NVTRUST_HOPPER = new Sample("nvtrust hopper 550.90.07", "nvidia/nvtrust/hopperAttestationReport.txt",
            "nvidia/nvtrust/hopperCertChain.txt", NONCE_931D, GpuArchitecture.HOPPER);
    static final Sample SDK_HOPPER_580 = new Sample("attestation-sdk hopper 580.159.03",
            "nvidia/attestation-sdk/hopperAttestationReport.txt", "nvidia/attestation-sdk/hopperCertChain.txt",
            "5bb22e377702d4e1e8215a903ba094826b9ac7f731dee1fe8102958bf2840aca", GpuArchitecture.HOPPER);
    static final Sample SDK_HOPPER_535 = new Sample("attestation-sdk hopper 535.86.09 (no FWID field)",
            "nvidia/attestation-sdk/gpu/hopperAttestationReport.txt", "nvidia/attestation-sdk/gpu/hopperCertChain.txt",
            "27a328247bf7935c993341cf587be6f05986ccce4fe7ba2c54100bd616a58f66", GpuArchitecture.HOPPER);
    static final Sample SDK_HOPPER_570 = new Sample("attestation-sdk hopper 570.124.03",
            "nvidia/attestation-sdk/gpu/hopperAttestationReportExpired.txt",
            "nvidia/attestation-sdk/gpu/hopperCertChainExpired.txt", NONCE_931D, GpuArchitecture.HOPPER);
    static final Sample SDK_BLACKWELL = new Sample("attestation-sdk blackwell 575.32",
            "nvidia/attestation-sdk/gpu/blackwellAttestationReport.txt",
            "nvidia/attestation-sdk/gpu/blackwellCertChain.txt", NONCE_931D, GpuArchitecture.BLACKWELL);
    static final Sample TRUSTEE_COCO = new Sample("trustee hopper 580.95.05 (one zero byte of padding)",
            "nvidia/trustee/hopper_coco_report1.txt", "nvidia/trustee/hopper_coco_certs1.txt",
            "87d8e24ab336adafe228d49e83d745f6dba4ae505372b6a5704820856b343fec", GpuArchitecture.HOPPER);

    static final List<Sample> GOOD = List.of(NVTRUST_HOPPER, SDK_HOPPER_580, SDK_HOPPER_535, SDK_HOPPER_570,
            SDK_BLACKWELL, TRUSTEE_COCO);

    /** Evidence checks only: no RIMs, revocation explicitly unchecked. */
    static final GpuPolicy EVIDENCE_ONLY = GpuPolicy.DEFAULT.withRimsRequired(false)
            .withUncheckedRevocationAccepted(true);

    private GpuSamples() {
    }

    static byte[] bytes(String resource) {
        try (InputStream in = GpuSamples.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
