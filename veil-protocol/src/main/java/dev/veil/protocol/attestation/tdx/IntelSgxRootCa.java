package dev.veil.protocol.attestation.tdx;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * The pinned trust anchor of every TDX (and SGX DCAP) quote: Intel SGX Root CA, self-signed ECDSA P-256, valid
 * 2018-05-21 to 2049-12-31.
 *
 * <p>Source: Intel, {@code https://certificates.trustedservices.intel.com/Intel_SGX_Provisioning_Certification_RootCA.pem};
 * the same certificate is {@code verify/trusted_root.pem} of {@code github.com/google/go-tdx-guest} (commit
 * 91f9a52f36c7a6ce140d5f13a2fb4ca03b61349c) and the last certificate of every PCK chain in Intel's quotes.
 * SHA-256 of its DER encoding: {@value #SHA256_FINGERPRINT}. The PEM is embedded here rather than shipped as a
 * resource file so that it cannot be swapped on the class path without changing the code.
 */
public final class IntelSgxRootCa {

    /** SHA-256 of the DER-encoded root certificate, lower-case hex. */
    public static final String SHA256_FINGERPRINT = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

    /** The root certificate in PEM. */
    public static final String PEM = """
            -----BEGIN CERTIFICATE-----
            MIICjzCCAjSgAwIBAgIUImUM1lqdNInzg7SVUr9QGzknBqwwCgYIKoZIzj0EAwIw
            aDEaMBgGA1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENv
            cnBvcmF0aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJ
            BgNVBAYTAlVTMB4XDTE4MDUyMTEwNDUxMFoXDTQ5MTIzMTIzNTk1OVowaDEaMBgG
            A1UEAwwRSW50ZWwgU0dYIFJvb3QgQ0ExGjAYBgNVBAoMEUludGVsIENvcnBvcmF0
            aW9uMRQwEgYDVQQHDAtTYW50YSBDbGFyYTELMAkGA1UECAwCQ0ExCzAJBgNVBAYT
            AlVTMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC6nEwMDIYZOj/iPWsCzaEKi7
            1OiOSLRFhWGjbnBVJfVnkY4u3IjkDYYL0MxO4mqsyYjlBalTVYxFP2sJBK5zlKOB
            uzCBuDAfBgNVHSMEGDAWgBQiZQzWWp00ifODtJVSv1AbOScGrDBSBgNVHR8ESzBJ
            MEegRaBDhkFodHRwczovL2NlcnRpZmljYXRlcy50cnVzdGVkc2VydmljZXMuaW50
            ZWwuY29tL0ludGVsU0dYUm9vdENBLmRlcjAdBgNVHQ4EFgQUImUM1lqdNInzg7SV
            Ur9QGzknBqwwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwCgYI
            KoZIzj0EAwIDSQAwRgIhAOW/5QkR+S9CiSDcNoowLuPRLsWGf/Yi7GSX94BgwTwg
            AiEA4J0lrHoMs+Xo5o/sX6O9QWxHRAvZUGOdRQ7cvqRXaqI=
            -----END CERTIFICATE-----
            """;

    private static final X509Certificate CERTIFICATE = load();

    private IntelSgxRootCa() {
    }

    /** The pinned root certificate. */
    public static X509Certificate certificate() {
        return CERTIFICATE;
    }

    private static X509Certificate load() {
        try {
            X509Certificate cert = (X509Certificate) Certs.factory().generateCertificate(
                    new ByteArrayInputStream(PEM.getBytes(StandardCharsets.US_ASCII)));
            String fingerprint = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
            if (!fingerprint.equals(SHA256_FINGERPRINT)) {
                throw new IllegalStateException("the embedded Intel SGX Root CA does not match its pinned fingerprint");
            }
            return cert;
        } catch (CertificateException | NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
