package dev.veil.protocol.attestation.snp;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Real public SEV-SNP evidence from src/test/resources/snp (see the README.md there for sources and commits).
 */
final class SnpSamples {

    /**
     * The verification time of the tests: inside the validity of every sample certificate (latest notBefore: the
     * openpcc Genoa VCEK, 2025-06-11; earliest notAfter: the go-sev-guest VCEK, 2029-09-24; AMD ASK/ARK 2045-2048), so
     * the outcome does not depend on when the tests run.
     */
    static final Instant AT = Instant.parse("2025-09-01T00:00:00Z");

    static final HexFormat HEX = HexFormat.of();

    private SnpSamples() {
    }

    /** go-sev-guest verify/testdata/attestation.bin: Milan, version 2, debug policy, VMPL 0. */
    static byte[] goReport() {
        return resource("go-sev-guest/attestation.bin");
    }

    /** go-sev-guest verify/testdata/vcek.testcer: the VCEK (Milan-B0) that signed {@link #goReport()}. */
    static X509Certificate goVcek() {
        return certificate(resource("go-sev-guest/vcek.testcer"));
    }

    /** virtee/sev tests/certs_data/report_milan.hex: Milan, version 2, no debug, VMPL 0. */
    static byte[] virteeReport() {
        return HEX.parseHex(new String(resource("virtee-sev/report_milan.hex"), StandardCharsets.US_ASCII).strip());
    }

    /** virtee/sev tests/certs_data/vcek_milan.der: the VCEK that signed {@link #virteeReport()}. */
    static X509Certificate virteeVcek() {
        return certificate(resource("virtee-sev/vcek_milan.der"));
    }

    /** virtee/sev tests/certs_data/vcek_turin.der: a Turin VCEK (no report). */
    static X509Certificate turinVcek() {
        return certificate(resource("virtee-sev/vcek_turin.der"));
    }

    /** openpcc attestation/attest/testdata/sev_certificates.txt, section test_vcek.pem: a Genoa VCEK (no report). */
    static X509Certificate genoaVcek() {
        return certificate(resource("openpcc/genoa_vcek.pem"));
    }

    /** openpcc attestation/attest/testdata/gce_sevsnp_report.txt: a version-4 report from GCE (its VCEK is not public). */
    static byte[] gceReportV4() {
        String text = new String(resource("openpcc/gce_sevsnp_report.txt"), StandardCharsets.US_ASCII);
        String body = text.substring(text.indexOf("-----BEGIN REPORT-----") + 22, text.indexOf("-----END REPORT-----"));
        return Base64.getMimeDecoder().decode(body);
    }

    /** go-sev-guest verify/trust/{name}: ASK (or ASVK), then ARK. */
    static List<X509Certificate> goTrust(String name) {
        return certificates(resource("go-sev-guest/" + name));
    }

    static byte[] resource(String name) {
        try (InputStream in = SnpSamples.class.getResourceAsStream("/snp/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource /snp/" + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static X509Certificate certificate(byte[] encoded) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(encoded));
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<X509Certificate> certificates(byte[] pem) {
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code bytes} with bit {@code bit} of byte {@code offset} flipped. */
    static byte[] flip(byte[] bytes, int offset, int bit) {
        byte[] out = bytes.clone();
        out[offset] ^= (byte) (1 << bit);
        return out;
    }

    /** The offset of {@code needle} in {@code haystack}; fails when absent. */
    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new IllegalArgumentException("not found");
    }
}
