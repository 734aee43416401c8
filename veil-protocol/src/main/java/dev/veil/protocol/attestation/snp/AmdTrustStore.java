package dev.veil.protocol.attestation.snp;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The AMD roots a verifier trusts, per product line: the ARK (identified by the SHA-256 of its SubjectPublicKeyInfo)
 * and the ASK and ASVK it certified, used when a chain brings only its leaf. {@link #pinned()} holds AMD's published
 * certificates for Milan, Genoa and Turin (see {@link AmdKdsCertificates} for their source).
 */
public final class AmdTrustStore {

    /**
     * One product line's pinned certificates.
     *
     * @param product       the product line
     * @param ark           the self-signed AMD root key certificate ({@code ARK-<product>})
     * @param ask           the AMD SEV key certificate that certifies VCEKs ({@code SEV-<product>})
     * @param asvk          the AMD SEV VLEK key certificate that certifies VLEKs ({@code SEV-VLEK-<product>})
     * @param arkSpkiSha256 lower-case hex SHA-256 of the ARK's SubjectPublicKeyInfo: the pin
     */
    public record ProductRoots(SnpProduct product, X509Certificate ark, X509Certificate ask, X509Certificate asvk,
                               String arkSpkiSha256) {

        /** The intermediate certificate for keys of {@code kind}: the ASK for VCEKs, the ASVK for VLEKs. */
        public X509Certificate intermediate(SigningKeyKind kind) {
            return kind == SigningKeyKind.VLEK ? asvk : ask;
        }
    }

    /** SHA-256 of the ARK SubjectPublicKeyInfo, computed from the certificates of {@link AmdKdsCertificates}. */
    static final String MILAN_ARK_SPKI_SHA256 = "9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9";
    static final String GENOA_ARK_SPKI_SHA256 = "429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831";
    static final String TURIN_ARK_SPKI_SHA256 = "4f125410563a2ab9a50356f9243f6fe0b6f73de98603f53f90339c70e9d7ad08";

    private static final AmdTrustStore PINNED = new AmdTrustStore(Map.of(
            SnpProduct.MILAN, load(SnpProduct.MILAN, AmdKdsCertificates.MILAN_ARK, AmdKdsCertificates.MILAN_ASK,
                    AmdKdsCertificates.MILAN_ASVK, MILAN_ARK_SPKI_SHA256),
            SnpProduct.GENOA, load(SnpProduct.GENOA, AmdKdsCertificates.GENOA_ARK, AmdKdsCertificates.GENOA_ASK,
                    AmdKdsCertificates.GENOA_ASVK, GENOA_ARK_SPKI_SHA256),
            SnpProduct.TURIN, load(SnpProduct.TURIN, AmdKdsCertificates.TURIN_ARK, AmdKdsCertificates.TURIN_ASK,
                    AmdKdsCertificates.TURIN_ASVK, TURIN_ARK_SPKI_SHA256)));

    private final Map<SnpProduct, ProductRoots> roots;

    private AmdTrustStore(Map<SnpProduct, ProductRoots> roots) {
        EnumMap<SnpProduct, ProductRoots> copy = new EnumMap<>(SnpProduct.class);
        copy.putAll(roots);
        this.roots = Collections.unmodifiableMap(copy);
    }

    /** AMD's ARK, ASK and ASVK for Milan, Genoa and Turin. */
    public static AmdTrustStore pinned() {
        return PINNED;
    }

    /** Only the pinned roots of {@code products}: evidence from any other product line is refused. */
    public static AmdTrustStore pinned(SnpProduct... products) {
        EnumMap<SnpProduct, ProductRoots> subset = new EnumMap<>(SnpProduct.class);
        for (SnpProduct p : products) {
            subset.put(p, PINNED.roots.get(p));
        }
        return new AmdTrustStore(subset);
    }

    /** A trust store of other roots, e.g. for a test AMD hierarchy; each ARK's pin is computed from the certificate. */
    public static AmdTrustStore of(Collection<ProductRoots> productRoots) {
        EnumMap<SnpProduct, ProductRoots> map = new EnumMap<>(SnpProduct.class);
        for (ProductRoots r : productRoots) {
            if (!spkiSha256(r.ark()).equals(r.arkSpkiSha256())) {
                throw new IllegalArgumentException(r.product() + " ARK does not have the stated SPKI SHA-256");
            }
            map.put(r.product(), r);
        }
        return new AmdTrustStore(map);
    }

    /** The product lines trusted. */
    public Set<SnpProduct> products() {
        return roots.keySet();
    }

    /** The roots of {@code product}, if trusted. */
    public Optional<ProductRoots> roots(SnpProduct product) {
        return Optional.ofNullable(roots.get(product));
    }

    /** Lower-case hex SHA-256 of a certificate's SubjectPublicKeyInfo. */
    public static String spkiSha256(X509Certificate certificate) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(certificate.getPublicKey().getEncoded()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ProductRoots load(SnpProduct product, String ark, String ask, String asvk, String pin) {
        X509Certificate arkCert = parse(ark);
        String actual = spkiSha256(arkCert);
        if (!actual.equals(pin)) {
            throw new IllegalStateException("embedded " + product.arkCommonName() + " does not match its pin: " + actual);
        }
        return new ProductRoots(product, arkCert, parse(ask), parse(asvk), pin);
    }

    private static X509Certificate parse(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IllegalStateException("embedded AMD certificate does not parse", e);
        }
    }
}
