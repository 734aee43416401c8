package dev.veil.protocol.attestation.nvidia;

import dev.veil.protocol.attestation.X509Chains;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;

/** Certificate decoding, key pinning and chain validation for GPU device chains and RIM signing chains. */
final class GpuCerts {

    /** The most certificates a chain may hold (NVIDIA's GPU chains have 5, RIM chains 4). */
    static final int MAX_CHAIN = 8;
    private static final Pattern PEM_CERT = Pattern.compile(
            "-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+?)-----END CERTIFICATE-----");

    private GpuCerts() {
    }

    static CertificateFactory factory() {
        return X509Chains.factory();
    }

    static X509Certificate der(byte[] der, String what) throws GpuFormatException {
        try {
            return (X509Certificate) factory().generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new GpuFormatException(what, "not a DER X.509 certificate: " + e.getMessage());
        }
    }

    /** The certificates of a concatenated PEM chain (leaf first); only whitespace may surround the blocks. */
    static List<X509Certificate> pemChain(byte[] pem, String what) throws GpuFormatException {
        String text = new String(pem, StandardCharsets.US_ASCII);
        List<X509Certificate> out = new ArrayList<>();
        Matcher m = PEM_CERT.matcher(text);
        int last = 0;
        while (m.find()) {
            if (!text.substring(last, m.start()).isBlank()) {
                throw new GpuFormatException(what, "unexpected text between PEM certificates");
            }
            if (out.size() == MAX_CHAIN) {
                throw new GpuFormatException(what, "more than " + MAX_CHAIN + " certificates");
            }
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(m.group(1));
            } catch (IllegalArgumentException e) {
                throw new GpuFormatException(what, "certificate " + (out.size() + 1) + " is not base64");
            }
            out.add(der(der, what + " certificate " + (out.size() + 1)));
            last = m.end();
        }
        if (!text.substring(last).replace("\0", "").isBlank()) {
            throw new GpuFormatException(what, "unexpected text after the PEM certificates");
        }
        if (out.isEmpty()) {
            throw new GpuFormatException(what, "no PEM certificate");
        }
        return List.copyOf(out);
    }

    /** Lower-case hex SHA-256 of the certificate's SubjectPublicKeyInfo. */
    static String spkiSha256(X509Certificate cert) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(cert.getPublicKey().getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String cn(X509Certificate cert) {
        return cn(cert.getSubjectX500Principal());
    }

    static String cn(X500Principal name) {
        String cn = X509Chains.cn(name);
        return cn.isEmpty() ? name.getName() : cn;
    }

    static boolean selfSigned(X509Certificate cert) {
        if (!cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) {
            return false;
        }
        try {
            cert.verify(cert.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /**
     * Validates {@code presented} (leaf first) to one of the {@code anchors}, each pinned by its key: a self-signed
     * certificate at the end of the chain must be one of the anchors (same key), and is then replaced by the pinned
     * one; signatures, CA constraints and validity at {@code at} are checked by PKIX. Returns the path from the leaf
     * to the anchor, the anchor last.
     *
     * @throws GeneralSecurityException naming the certificate that failed
     */
    static List<X509Certificate> validate(List<X509Certificate> presented, List<X509Certificate> anchors, Instant at,
                                          String rootName) throws GeneralSecurityException {
        if (presented.isEmpty()) {
            throw new GeneralSecurityException("no certificates");
        }
        List<X509Certificate> path = new ArrayList<>(presented);
        X509Certificate anchor = null;
        X509Certificate last = path.getLast();
        if (path.size() > 1 && selfSigned(last)) {
            String pin = spkiSha256(last);
            anchor = anchors.stream().filter(a -> spkiSha256(a).equals(pin)).findFirst()
                    .orElseThrow(() -> new GeneralSecurityException("the chain ends in '" + cn(last)
                            + "', whose key is not the pinned " + rootName));
            path.removeLast();
        } else {
            anchor = anchors.stream().filter(a -> a.getSubjectX500Principal().equals(last.getIssuerX500Principal()))
                    .findFirst().orElseThrow(() -> new GeneralSecurityException("'" + cn(last) + "' is issued by '"
                            + cn(last.getIssuerX500Principal()) + "', not by the pinned " + rootName));
        }
        if (path.isEmpty() || path.getFirst().getBasicConstraints() != -1) {
            throw new GeneralSecurityException("the chain has no signing certificate: its first certificate '"
                    + cn(presented.getFirst()) + "' is a CA");
        }
        X509Chains.validate(path, anchor, at);
        List<X509Certificate> all = new ArrayList<>(path);
        all.add(anchor);
        return List.copyOf(all);
    }
}
