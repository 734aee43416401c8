package dev.veil.protocol.attestation;

import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * X.509 pieces every hardware verifier shares (TDX, NVIDIA): the certificate factory, common names for messages, and
 * the validation of a chain to one pinned anchor at a given time, with the failing certificate named.
 */
public final class X509Chains {

    private X509Chains() {
    }

    /** The JDK's X.509 certificate factory. */
    public static CertificateFactory factory() {
        try {
            return CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
    }

    /** The subject's common name, or "" when it has none. */
    public static String cn(X509Certificate cert) {
        return cn(cert.getSubjectX500Principal());
    }

    /** The name's common name, or "" when it has none. */
    public static String cn(X500Principal name) {
        RDN[] cns = X500Name.getInstance(name.getEncoded()).getRDNs(BCStyle.CN);
        return cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue());
    }

    /**
     * Validates {@code path} (leaf first, without the anchor) to {@code anchor} at {@code at}: every certificate,
     * the anchor included, must be valid then, and PKIX checks signatures and CA constraints. Revocation is each
     * caller's own (operator-supplied CRLs or OCSP responses).
     *
     * @throws GeneralSecurityException naming the certificate that failed
     */
    public static void validate(List<X509Certificate> path, X509Certificate anchor, Instant at)
            throws GeneralSecurityException {
        List<X509Certificate> all = new ArrayList<>(path);
        all.add(anchor);
        for (X509Certificate cert : all) {
            if (at.isAfter(cert.getNotAfter().toInstant())) {
                throw new GeneralSecurityException("certificate '" + cn(cert) + "' expired at "
                        + cert.getNotAfter().toInstant());
            }
            if (at.isBefore(cert.getNotBefore().toInstant())) {
                throw new GeneralSecurityException("certificate '" + cn(cert) + "' is not valid before "
                        + cert.getNotBefore().toInstant());
            }
        }
        PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(anchor, null)));
        params.setRevocationEnabled(false);
        params.setDate(Date.from(at));
        try {
            CertPathValidator.getInstance("PKIX").validate(factory().generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            String who = e.getIndex() >= 0 && e.getIndex() < path.size()
                    ? " (certificate '" + cn(path.get(e.getIndex())) + "')" : "";
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new GeneralSecurityException(cause.getMessage() + who, e);
        }
    }
}
