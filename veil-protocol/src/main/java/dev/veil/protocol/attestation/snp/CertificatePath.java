package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.Check;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;

/**
 * Sorts the presented certificates by role and verifies the path VCEK → ASK → ARK (VLEK → ASVK → ARK) against the
 * pinned ARK: the steps behind {@link SnpCheck#CERTIFICATES}, {@link SnpCheck#ROOT_PINNED},
 * {@link SnpCheck#CHAIN_SIGNATURES} and {@link SnpCheck#VALIDITY}.
 */
final class CertificatePath {

    /** A check and, when it passed, what it established. */
    record Step<T>(Check check, T value) {
        static <T> Step<T> failed(Check check) {
            return new Step<>(check, null);
        }
    }

    /**
     * The presented certificates by role.
     *
     * @param kind         which key signed the report
     * @param product      the product line the leaf's issuer names
     * @param leaf         the VCEK or VLEK certificate
     * @param extensions   the leaf's AMD extensions
     * @param intermediate the presented ASK/ASVK, or null (then the pinned one is used)
     * @param ark          the presented ARK, or null (then the pinned one is used)
     */
    record Presented(SigningKeyKind kind, SnpProduct product, X509Certificate leaf, EndorsementKeyExtensions extensions,
                     X509Certificate intermediate, X509Certificate ark) {
    }

    /** RSASSA-PSS, the signature algorithm of every AMD SEV certificate. */
    static final String RSASSA_PSS_OID = "1.2.840.113549.1.1.10";
    /** The order of the NIST P-384 group, to recognise the curve of the VCEK/VLEK key. */
    private static final BigInteger P384_ORDER = new BigInteger(
            "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973", 16);

    private CertificatePath() {
    }

    /** Finds the endorsement key certificate of the report's signer and sorts the others. */
    static Step<Presented> identify(SnpReport report, List<X509Certificate> chain) {
        SnpCheck c = SnpCheck.CERTIFICATES;
        SigningKeyKind kind = report.signingKey();
        if (kind == SigningKeyKind.NONE) {
            return Step.failed(c.fail("the report is not signed (SIGNER_INFO.SIGNING_KEY is 'none')"));
        }
        List<X509Certificate> leaves = new ArrayList<>();
        List<X509Certificate> intermediates = new ArrayList<>();
        List<X509Certificate> arks = new ArrayList<>();
        for (X509Certificate cert : chain) {
            String cn = AmdNames.commonName(cert.getSubjectX500Principal());
            if ("SEV-VCEK".equals(cn) || "SEV-VLEK".equals(cn)) {
                leaves.add(cert);
            } else if (cn != null && cn.startsWith("ARK-")) {
                arks.add(cert);
            } else if (cn != null && cn.startsWith("SEV-")) {
                intermediates.add(cert);
            } else {
                return Step.failed(c.fail("unexpected certificate '" + cert.getSubjectX500Principal().getName()
                        + "' among the AMD certificates"));
            }
        }
        if (leaves.size() != 1) {
            return Step.failed(c.fail(leaves.isEmpty()
                    ? "no " + kind + " certificate (subject CN=" + kind.leafCommonName() + ") was presented"
                    : leaves.size() + " endorsement key certificates were presented, expected one"));
        }
        if (intermediates.size() > 1 || arks.size() > 1) {
            return Step.failed(c.fail("expected at most one ASK/ASVK and one ARK, got " + intermediates.size()
                    + " and " + arks.size()));
        }
        X509Certificate leaf = leaves.get(0);
        String leafCn = AmdNames.commonName(leaf.getSubjectX500Principal());
        if (!kind.leafCommonName().equals(leafCn)) {
            return Step.failed(c.fail("the report is signed by the " + kind + " but the certificate is " + leafCn));
        }
        String issuerCn = AmdNames.commonName(leaf.getIssuerX500Principal());
        Optional<SnpProduct> product = productOfIssuer(kind, issuerCn);
        if (product.isEmpty()) {
            return Step.failed(c.fail(kind + " issuer CN=" + issuerCn + " names no known product line (expected "
                    + kind.intermediateCommonName(SnpProduct.MILAN) + ", ...Genoa or ...Turin)"));
        }
        String problem = firstNonNull(AmdNames.locationProblem(leaf.getSubjectX500Principal(), kind + " subject"),
                AmdNames.locationProblem(leaf.getIssuerX500Principal(), kind + " issuer"), keyProblem(leaf, kind));
        if (problem != null) {
            return Step.failed(c.fail(problem));
        }
        Optional<SnpProduct> cpuid = report.cpuidProduct();
        if (cpuid.isPresent() && cpuid.get() != product.get()) {
            return Step.failed(c.fail("the report's CPUID names " + cpuid.get().productLine() + " but the " + kind
                    + " is issued for " + product.get().productLine()));
        }
        EndorsementKeyExtensions extensions;
        try {
            extensions = EndorsementKeyExtensions.of(leaf);
        } catch (SnpFormatException e) {
            return Step.failed(c.fail(kind + " AMD extension " + e.getMessage()));
        }
        if (kind == SigningKeyKind.VCEK && (extensions.hwid() == null || extensions.cspId() != null)) {
            return Step.failed(c.fail("a VCEK certificate must carry a hwID extension and no cspID"));
        }
        if (kind == SigningKeyKind.VLEK && (extensions.cspId() == null || extensions.hwid() != null)) {
            return Step.failed(c.fail("a VLEK certificate must carry a cspID extension and no hwID"));
        }
        Presented presented = new Presented(kind, product.get(), leaf, extensions,
                intermediates.isEmpty() ? null : intermediates.get(0), arks.isEmpty() ? null : arks.get(0));
        return new Step<>(c.pass(kind + " certificate issued by " + issuerCn + ", product name "
                + extensions.productName() + ", TCB " + extensions.tcb()
                + (presented.intermediate() == null ? "; " + kind.intermediateRole() + " not presented, the pinned one is used" : "")
                + (presented.ark() == null ? "; ARK not presented, the pinned one is used" : "")), presented);
    }

    private static Optional<SnpProduct> productOfIssuer(SigningKeyKind kind, String issuerCn) {
        for (SnpProduct p : SnpProduct.values()) {
            if (kind.intermediateCommonName(p).equals(issuerCn)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static String keyProblem(X509Certificate leaf, SigningKeyKind kind) {
        PublicKey key = leaf.getPublicKey();
        if (!(key instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 384
                || !P384_ORDER.equals(ec.getParams().getOrder())) {
            return kind + " public key is " + key.getAlgorithm() + ", not ECDSA on P-384";
        }
        return null;
    }

    /** The presented ARK, if any, must be the pinned root of the leaf's product line. */
    static Step<AmdTrustStore.ProductRoots> rootPinned(Presented p, AmdTrustStore trust) {
        SnpCheck c = SnpCheck.ROOT_PINNED;
        Optional<AmdTrustStore.ProductRoots> roots = trust.roots(p.product());
        if (roots.isEmpty()) {
            return Step.failed(c.fail("no AMD root is pinned for " + p.product().productLine() + " (pinned: "
                    + trust.products().stream().map(SnpProduct::productLine).toList() + ")"));
        }
        AmdTrustStore.ProductRoots r = roots.get();
        String pinned = p.product().arkCommonName() + " (SPKI SHA-256 " + r.arkSpkiSha256() + ")";
        if (p.ark() != null) {
            String cn = AmdNames.commonName(p.ark().getSubjectX500Principal());
            String spki = AmdTrustStore.spkiSha256(p.ark());
            if (!p.product().arkCommonName().equals(cn) || !r.arkSpkiSha256().equals(spki)) {
                return Step.failed(c.fail("the presented root CN=" + cn + " (SPKI SHA-256 " + spki
                        + ") is not the pinned " + pinned));
            }
            return new Step<>(c.pass("the presented ARK is the pinned " + pinned), r);
        }
        return new Step<>(c.pass("pinned " + pinned), r);
    }

    /**
     * Links leaf, intermediate (presented, else pinned) and ARK by name and verifies each RSASSA-PSS/SHA-384 signature
     * with the issuer's key, ending at the pinned ARK key. Returns the intermediate used.
     */
    static Step<X509Certificate> signatures(Presented p, AmdTrustStore.ProductRoots roots) {
        SnpCheck c = SnpCheck.CHAIN_SIGNATURES;
        String role = p.kind().intermediateRole();
        X509Certificate intermediate = p.intermediate() != null ? p.intermediate() : roots.intermediate(p.kind());
        X509Certificate ark = roots.ark();
        String expectedCn = p.kind().intermediateCommonName(p.product());
        String cn = AmdNames.commonName(intermediate.getSubjectX500Principal());
        if (!expectedCn.equals(cn) || !intermediate.getSubjectX500Principal().equals(p.leaf().getIssuerX500Principal())) {
            return Step.failed(c.fail("the " + role + " CN=" + cn + " is not the " + p.kind() + "'s issuer CN="
                    + AmdNames.commonName(p.leaf().getIssuerX500Principal())));
        }
        if (!intermediate.getIssuerX500Principal().equals(ark.getSubjectX500Principal())) {
            return Step.failed(c.fail("the " + role + " is issued by CN="
                    + AmdNames.commonName(intermediate.getIssuerX500Principal()) + ", not " + p.product().arkCommonName()));
        }
        String problem = firstNonNull(
                AmdNames.locationProblem(intermediate.getSubjectX500Principal(), role + " subject"),
                caProblem(intermediate, role), pssProblem(p.leaf(), p.kind().toString()), pssProblem(intermediate, role),
                p.ark() != null ? pssProblem(p.ark(), "ARK") : pssProblem(ark, "ARK"));
        if (problem != null) {
            return Step.failed(c.fail(problem));
        }
        if (p.ark() != null) {
            problem = signatureProblem(p.ark(), ark.getPublicKey(), "the presented ARK", "self-signed by the pinned ARK key");
        }
        if (problem == null) {
            problem = signatureProblem(intermediate, ark.getPublicKey(), "the " + role, "signed by " + p.product().arkCommonName());
        }
        if (problem == null) {
            problem = signatureProblem(p.leaf(), intermediate.getPublicKey(), "the " + p.kind(), "signed by " + expectedCn);
        }
        if (problem != null) {
            return Step.failed(c.fail(problem));
        }
        return new Step<>(c.pass(p.kind() + " ← " + expectedCn + (p.intermediate() == null ? " (pinned)" : "") + " ← "
                + p.product().arkCommonName() + " (pinned), RSASSA-PSS/SHA-384"), intermediate);
    }

    /** Every certificate must be valid at {@code at}. */
    static Check validity(List<X509Certificate> path, Instant at) {
        SnpCheck c = SnpCheck.VALIDITY;
        Date when = Date.from(at);
        for (X509Certificate cert : path) {
            String cn = AmdNames.commonName(cert.getSubjectX500Principal());
            try {
                cert.checkValidity(when);
            } catch (CertificateExpiredException e) {
                return c.fail(cn + " expired at " + cert.getNotAfter().toInstant() + " (verification time " + at + ")");
            } catch (CertificateNotYetValidException e) {
                return c.fail(cn + " is not valid before " + cert.getNotBefore().toInstant() + " (verification time "
                        + at + ")");
            }
        }
        return c.pass(path.size() + " certificates valid at " + at);
    }

    private static String caProblem(X509Certificate cert, String role) {
        boolean[] usage = cert.getKeyUsage();
        if (cert.getBasicConstraints() < 0 || (usage != null && (usage.length < 6 || !usage[5]))) {
            return "the " + role + " is not a certificate authority (basic constraints / key usage)";
        }
        return null;
    }

    /** Null when {@code cert} is signed with RSASSA-PSS, SHA-384, MGF1 with SHA-384 and a 48-byte salt. */
    static String pssProblem(X509Certificate cert, String role) {
        if (!RSASSA_PSS_OID.equals(cert.getSigAlgOID())) {
            return "the " + role + " is signed with " + cert.getSigAlgName() + ", not RSASSA-PSS";
        }
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("RSASSA-PSS");
            parameters.init(cert.getSigAlgParams());
            PSSParameterSpec spec = parameters.getParameterSpec(PSSParameterSpec.class);
            if (sha384(spec.getDigestAlgorithm()) && "MGF1".equalsIgnoreCase(spec.getMGFAlgorithm())
                    && spec.getMGFParameters() instanceof MGF1ParameterSpec mgf && sha384(mgf.getDigestAlgorithm())
                    && spec.getSaltLength() == 48 && spec.getTrailerField() == 1) {
                return null;
            }
            return "the " + role + "'s RSASSA-PSS parameters are not SHA-384, MGF1 with SHA-384, salt 48: " + spec;
        } catch (GeneralSecurityException | IOException | RuntimeException e) {
            return "the " + role + "'s RSASSA-PSS parameters do not parse";
        }
    }

    private static boolean sha384(String digest) {
        return "SHA-384".equalsIgnoreCase(digest) || "SHA384".equalsIgnoreCase(digest);
    }

    private static String signatureProblem(X509Certificate cert, PublicKey issuerKey, String what, String expected) {
        try {
            cert.verify(issuerKey);
            return null;
        } catch (GeneralSecurityException | RuntimeException e) {
            return what + " is not " + expected + " (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
        }
    }

    /** The certificates whose validity matters: leaf, intermediate, pinned ARK and a presented ARK. */
    static List<X509Certificate> validityPath(Presented p, X509Certificate intermediate, X509Certificate pinnedArk) {
        List<X509Certificate> out = new ArrayList<>(List.of(p.leaf(), intermediate, pinnedArk));
        if (p.ark() != null && !sameEncoding(p.ark(), pinnedArk)) {
            out.add(p.ark());
        }
        return out;
    }

    private static boolean sameEncoding(X509Certificate a, X509Certificate b) {
        try {
            return Arrays.equals(a.getEncoded(), b.getEncoded());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) {
            if (v != null) {
                return v;
            }
        }
        return null;
    }
}
