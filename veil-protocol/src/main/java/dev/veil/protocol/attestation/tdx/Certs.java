package dev.veil.protocol.attestation.tdx;

import dev.veil.protocol.attestation.X509Chains;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/** Certificate and CRL decoding and chain validation against the pinned Intel SGX Root CA. */
final class Certs {

    private static final Pattern PEM_CERT = Pattern.compile(
            "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+?)-----END CERTIFICATE-----");

    private Certs() {
    }

    static CertificateFactory factory() {
        return X509Chains.factory();
    }

    /**
     * The certificates of a concatenated PEM chain. Only whitespace (and trailing NUL bytes, which quote generators
     * append) may surround the blocks; a PCS issuer-chain header that is still URL-encoded is decoded first.
     */
    static List<X509Certificate> pemChain(byte[] pem, String what) throws TdxFormatException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        if (!text.contains("-----BEGIN CERTIFICATE-----") && text.contains("%20CERTIFICATE")) {
            text = java.net.URLDecoder.decode(text, StandardCharsets.US_ASCII);
        }
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = PEM_CERT.matcher(text);
        int last = 0;
        while (m.find()) {
            if (!text.substring(last, m.start()).isBlank()) {
                throw new TdxFormatException(what, "unexpected text between PEM certificates");
            }
            try {
                byte[] der = Base64.getMimeDecoder().decode(m.group(1));
                out.add((X509Certificate) factory().generateCertificate(new ByteArrayInputStream(der)));
            } catch (IllegalArgumentException | CertificateException e) {
                throw new TdxFormatException(what, "certificate " + (out.size() + 1) + " does not decode: "
                        + e.getMessage());
            }
            last = m.end();
        }
        if (!text.substring(last).replace("\0", "").isBlank()) {
            throw new TdxFormatException(what, "unexpected text after the PEM certificates");
        }
        if (out.isEmpty()) {
            throw new TdxFormatException(what, "no PEM certificate");
        }
        return List.copyOf(out);
    }

    /** A CRL in DER, PEM or hex (as some collateral caches store it). */
    static X509CRL crl(byte[] data, String what) throws TdxFormatException {
        byte[] der = data;
        String text = new String(data, StandardCharsets.US_ASCII).strip();
        if (!text.isEmpty() && text.chars().allMatch(c -> Character.digit(c, 16) >= 0) && text.length() % 2 == 0) {
            der = HexFormat.of().parseHex(text);
        }
        try {
            return (X509CRL) factory().generateCRL(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new TdxFormatException(what, "not a DER, PEM or hex X.509 CRL: " + e.getMessage());
        }
    }

    /** The subject's common name, or "". */
    static String cn(X509Certificate cert) {
        return cn(cert.getSubjectX500Principal());
    }

    /** The issuer's common name, or "". */
    static String issuerCn(X509Certificate cert) {
        return cn(cert.getIssuerX500Principal());
    }

    static String cn(X500Principal name) {
        return X509Chains.cn(name);
    }

    /**
     * Validates {@code chain} (leaf first, without the root) with PKIX at {@code at}, anchored only in the pinned
     * Intel SGX Root CA; revocation is checked separately against the operator's CRLs.
     */
    static void validate(List<X509Certificate> chain, Instant at) throws GeneralSecurityException {
        X509Chains.validate(chain, IntelSgxRootCa.certificate(), at);
    }

    /** Whether {@code cert} is byte for byte the pinned Intel SGX Root CA. */
    static boolean isPinnedRoot(X509Certificate cert) throws GeneralSecurityException {
        return Arrays.equals(cert.getEncoded(), IntelSgxRootCa.certificate().getEncoded());
    }
}
