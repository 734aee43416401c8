package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** NVIDIA's public RIMs verify against the pinned RIM root; altered, mis-chained, expired and hostile XML is refused. */
class RimTest {

    private static final List<X509Certificate> NVIDIA = List.of(NvidiaRoots.rimSigningRoot());
    private static final Instant MID_2024 = Instant.parse("2024-06-01T00:00:00Z");

    private static String text(String resource) {
        return new String(GpuSamples.bytes(resource), StandardCharsets.UTF_8);
    }

    @Test
    void nvidiasVbiosRimVerifiesAndParses() throws Exception {
        Rim rim = Rim.parse(GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag"));
        List<X509Certificate> path = rim.verify(NVIDIA, MID_2024);
        assertThat(rim.version()).isEqualTo("96.00.5E.00.01");
        assertThat(rim.product()).isEqualTo("GH100");
        assertThat(rim.measurements()).hasSize(64);
        assertThat(rim.measurements().values().stream().filter(Rim.Measurement::active).count()).isEqualTo(12);
        assertThat(GpuCerts.spkiSha256(path.getLast())).isEqualTo(NvidiaRoots.RIM_SIGNING_ROOT_SPKI_SHA256);
    }

    @Test
    void nvidiasDriverRimVerifies() throws Exception {
        Rim rim = Rim.parse(GpuSamples.bytes("nvidia/attestation-sdk/NV_GPU_DRIVER_GH100_550.144.03.xml"));
        rim.verify(NVIDIA, Instant.parse("2025-06-01T00:00:00Z"));
        assertThat(rim.version()).isEqualTo("550.144.03");
    }

    @Test
    void anAlteredSignatureIsRefused() throws Exception {
        Rim rim = Rim.parse(GpuSamples.bytes("nvidia/attestation-sdk/incorrect_signature_driver_rim.xml"));
        assertThatThrownBy(() -> rim.verify(NVIDIA, Instant.parse("2025-06-01T00:00:00Z")))
                .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("signature");
    }

    @Test
    void theSdksMismatchVbiosRimIsGenuinelySignedWithOtherValues() throws Exception {
        // Named "measurement_mismatch" by the SDK because it differs from its report at index 9; it is a real,
        // NVIDIA-signed RIM of the same VBIOS (a later signer), so it must verify here and fail only the comparison.
        Rim rim = Rim.parse(GpuSamples.bytes(
                "nvidia/attestation-sdk/NV_GPU_VBIOS_1010_0200_882_96005E0001_measurement_mismatch.xml"));
        rim.verify(NVIDIA, MID_2024);
        assertThat(rim.measurements().get(9).alternatives()).containsExactly(
                "059b32e712a153f490dbfb7976a9e275d789e28bd4803c357def2b6123327c430526bfaecc200f496d4e149fc5eade03");
    }

    @Test
    void oneChangedMeasurementDigitIsRefused() throws Exception {
        String xml = text("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        int at = xml.indexOf("Hash0=\"", xml.indexOf("index=\"3\"")) + 7;
        char c = xml.charAt(at);
        String changed = xml.substring(0, at) + (c == '0' ? '1' : '0') + xml.substring(at + 1);
        Rim rim = Rim.parse(changed.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> rim.verify(NVIDIA, MID_2024)).isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("does not match its signed digest");
    }

    @Test
    void aRimUnderAnotherRootIsRefused() throws Exception {
        Rim rim = Rim.parse(GpuSamples.bytes("nvidia/attestation-sdk/incorrect_cert_chain_driver_rim.xml"));
        assertThatThrownBy(() -> rim.verify(NVIDIA, Instant.parse("2025-06-01T00:00:00Z")))
                .isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("not the pinned NVIDIA RIM signing root");
    }

    @Test
    void anExpiredRimSignerIsRefused() throws Exception {
        Rim vbios = Rim.parse(GpuSamples.bytes("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag"));
        assertThatThrownBy(() -> vbios.verify(NVIDIA, Instant.parse("2025-07-01T00:00:00Z")))
                .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("expired at 2025-06-22");
        Rim driver = Rim.parse(GpuSamples.bytes("nvidia/attestation-sdk/NV_GPU_DRIVER_GH100_570.124.03_expired.xml"));
        assertThatThrownBy(() -> driver.verify(NVIDIA, Instant.parse("2025-06-01T00:00:00Z")))
                .isInstanceOf(GeneralSecurityException.class).hasMessageContaining("expired");
    }

    @Test
    void aDoctypeOrExternalEntityIsRefusedBeforeAnythingIsRead() {
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                + "<SoftwareIdentity xmlns=\"" + Rim.SWID_NS + "\">&x;</SoftwareIdentity>";
        assertThatThrownBy(() -> Rim.parse(xxe.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(GpuFormatException.class).hasMessageContaining("DOCTYPE");
        String bomb = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><r>&b;</r>";
        assertThatThrownBy(() -> Rim.parse(bomb.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(GpuFormatException.class);
    }

    @Test
    void malformedAndOversizedRimsAreFormatErrors() {
        for (String bad : List.of("", "<", "<a/>", "<SoftwareIdentity xmlns=\"" + Rim.SWID_NS + "\"/>")) {
            assertThatThrownBy(() -> Rim.parse(bad.getBytes(StandardCharsets.UTF_8)))
                    .isInstanceOf(GpuFormatException.class);
        }
        assertThatThrownBy(() -> Rim.parse(new byte[Rim.MAX_SIZE + 1])).isInstanceOf(GpuFormatException.class)
                .hasMessageContaining("more than");
    }

    @Test
    void aWrappedDocumentIsRefused() throws Exception {
        // Classic signature wrapping: a new document element with the attacker's Payload, holding the genuine
        // signed SoftwareIdentity (and its Signature) inside. The verifier reads the measurements from the document
        // element, and the only accepted reference (URI="") then covers the attacker's document: refused.
        String xml = text("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag");
        String genuine = xml.substring(xml.indexOf("<SoftwareIdentity"));
        String forged = genuine.replaceFirst("Hash0=\"[0-9a-f]{96}\"", "Hash0=\"" + "ab".repeat(48) + "\"");
        String attacker = forged.substring(0, forged.indexOf("<ds:Signature")) + genuine.replace(
                "<SoftwareIdentity ", "<SoftwareIdentity xmlns:w=\"urn:wrap\" ") + "</SoftwareIdentity>";
        byte[] wrapped = attacker.getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> Rim.parse(wrapped)).isInstanceOf(GpuFormatException.class)
                .hasMessageContaining("ds:Signature is not a child of the SoftwareIdentity");
        // The same forgery with the genuine signature moved up to the document element: the digest no longer matches.
        String moved = forged;
        Rim rim = Rim.parse(moved.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> rim.verify(NVIDIA, MID_2024)).isInstanceOf(GeneralSecurityException.class)
                .hasMessageContaining("does not match its signed digest");
        // A second signature anywhere is refused outright.
        String twice = xml.replace("</SoftwareIdentity>", xml.substring(xml.indexOf("<ds:Signature"),
                xml.indexOf("</ds:Signature>") + 15) + "</SoftwareIdentity>");
        assertThatThrownBy(() -> Rim.parse(twice.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(GpuFormatException.class).hasMessageContaining("exactly one ds:Signature");
    }

    @Test
    void aReferenceToAnIdInsteadOfTheWholeDocumentIsRefused() throws Exception {
        String xml = text("nvidia/nvtrust/1010_0200_882_96005E0001_PROD.swidtag")
                .replace("<ds:Reference URI=\"\">", "<ds:Reference URI=\"#payload\">");
        Rim rim = Rim.parse(xml.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> rim.verify(NVIDIA, MID_2024)).isInstanceOf(GpuFormatException.class)
                .hasMessageContaining("URI=\"\"");
    }

    @Test
    void aTestPkiRimVerifiesOnlyWhenItsRootIsTrusted() throws Exception {
        TestPki.Issued root = TestPki.root("Test RIM root");
        TestPki.Issued ca = TestPki.ca("Test RIM CA", root);
        TestPki.Issued signer = TestPki.leaf("Test RIM signer", ca, List.of());
        byte[] xml = TestRims.signed("GH100", "535.86.09", java.util.Map.of(7, "11".repeat(48)), signer,
                List.of(signer.cert(), ca.cert(), root.cert()));
        Rim rim = Rim.parse(xml);
        rim.verify(List.of(root.cert()), MID_2024);
        assertThat(rim.measurements().get(7).alternatives()).containsExactly("11".repeat(48));
        assertThatThrownBy(() -> rim.verify(NVIDIA, MID_2024)).isInstanceOf(GeneralSecurityException.class);
    }
}
