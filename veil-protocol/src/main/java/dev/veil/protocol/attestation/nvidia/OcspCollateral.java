package dev.veil.protocol.attestation.nvidia;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ocsp.BasicOCSPResponse;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.ocsp.CertStatus;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.ocsp.OCSPResponseStatus;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.ocsp.ResponseData;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.ocsp.SingleResponse;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;

/**
 * OCSP responses (RFC 6960) that an operator fetched from NVIDIA's OCSP service ahead of time and supplies as
 * collateral, and the revocation check of one certificate against them.
 *
 * <p>A certificate counts as not revoked only when a response: is {@code successful} and {@code id-pkix-ocsp-basic};
 * holds a {@code SingleResponse} for exactly this certificate (issuer name and key hash, serial number); is signed by
 * the issuer itself or by a responder certificate included in the response that the issuer, or a CA above it in the
 * same pinned chain, certified for OCSP signing; is current ({@code thisUpdate} not in the future, {@code nextUpdate}
 * not passed, or without {@code nextUpdate} not older than the policy's maximum age); and says {@code good}.
 * {@code revoked} (any reason, certificate hold included) and {@code unknown} fail.
 */
public final class OcspCollateral {

    /** The largest OCSP response accepted. */
    public static final int MAX_SIZE = 64 * 1024;
    /** Clock skew tolerated on thisUpdate. */
    static final Duration SKEW = Duration.ofMinutes(5);

    private final List<BasicOCSPResponse> responses;
    private final List<String> unparsable;

    private OcspCollateral(List<BasicOCSPResponse> responses, List<String> unparsable) {
        this.responses = responses;
        this.unparsable = unparsable;
    }

    /** No responses. */
    public static OcspCollateral empty() {
        return new OcspCollateral(List.of(), List.of());
    }

    /**
     * DER OCSP responses. One that does not parse is kept as a reason, not thrown: the revocation check that finds no
     * usable response for a certificate names it.
     */
    public static OcspCollateral of(List<byte[]> ders) {
        List<BasicOCSPResponse> out = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        int i = 0;
        for (byte[] der : ders) {
            i++;
            try {
                out.add(basic(der, "OCSP response " + i));
            } catch (GpuFormatException e) {
                bad.add(e.getMessage());
            }
        }
        return new OcspCollateral(List.copyOf(out), List.copyOf(bad));
    }

    /** Parses DER OCSP responses, refusing the first one that does not parse. */
    public static OcspCollateral parse(List<byte[]> ders) throws GpuFormatException {
        OcspCollateral c = of(ders);
        if (!c.unparsable.isEmpty()) {
            throw new GpuFormatException("OCSP collateral", c.unparsable.getFirst());
        }
        return c;
    }

    /** How many responses were supplied, parsable or not. */
    public int size() {
        return responses.size() + unparsable.size();
    }

    private static BasicOCSPResponse basic(byte[] der, String what) throws GpuFormatException {
        if (der.length > MAX_SIZE) {
            throw new GpuFormatException(what, der.length + " bytes, more than the " + MAX_SIZE + " accepted");
        }
        try {
            OCSPResponse response = OCSPResponse.getInstance(ASN1Sequence.fromByteArray(der));
            int status = response.getResponseStatus().getIntValue();
            if (status != OCSPResponseStatus.SUCCESSFUL) {
                throw new GpuFormatException(what, "responder status " + status + " is not successful");
            }
            if (response.getResponseBytes() == null || !OCSPObjectIdentifiers.id_pkix_ocsp_basic.equals(
                    response.getResponseBytes().getResponseType())) {
                throw new GpuFormatException(what, "not a basic OCSP response");
            }
            return BasicOCSPResponse.getInstance(ASN1Sequence.fromByteArray(
                    response.getResponseBytes().getResponse().getOctets()));
        } catch (IOException | IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new GpuFormatException(what, "not a DER OCSP response: " + e.getMessage());
        }
    }

    /**
     * Checks that {@code cert}, issued by {@code issuer}, is not revoked as of {@code at}.
     *
     * @param above the certificates above {@code issuer} in the same validated chain (for a delegated responder
     *              certified by one of them), root last
     * @return a description of the response used
     * @throws GeneralSecurityException naming what failed
     */
    String check(X509Certificate cert, X509Certificate issuer, List<X509Certificate> above, Instant at,
                 Duration maxAge) throws GeneralSecurityException {
        String name = GpuCerts.cn(cert);
        List<String> problems = new ArrayList<>();
        for (BasicOCSPResponse r : responses) {
            SingleResponse single = find(r, cert, issuer);
            if (single == null) {
                continue;
            }
            try {
                X509Certificate signer = signer(r, issuer, above, at);
                verifySignature(r, signer);
                ResponseData data = r.getTbsResponseData();
                Instant thisUpdate = instant(single.getThisUpdate());
                if (thisUpdate.isAfter(at.plus(SKEW))) {
                    throw new GeneralSecurityException("the response for '" + name + "' was produced after the"
                            + " verification time (thisUpdate " + thisUpdate + ")");
                }
                if (single.getNextUpdate() != null) {
                    Instant next = instant(single.getNextUpdate());
                    if (at.isAfter(next)) {
                        throw new GeneralSecurityException("the response for '" + name + "' is stale (nextUpdate "
                                + next + "); fetch a new one");
                    }
                } else if (at.isAfter(thisUpdate.plus(maxAge))) {
                    throw new GeneralSecurityException("the response for '" + name + "' is older than " + maxAge
                            + " (thisUpdate " + thisUpdate + ") and has no nextUpdate; fetch a new one");
                }
                CertStatus status = single.getCertStatus();
                switch (status.getTagNo()) {
                    case 0 -> {
                        return "'" + name + "' good (OCSP by '" + GpuCerts.cn(signer) + "', " + thisUpdate
                                + (single.getNextUpdate() == null ? "" : " .. " + instant(single.getNextUpdate()))
                                + ", produced " + instant(data.getProducedAt()) + ")";
                    }
                    case 1 -> {
                        RevokedInfo info = RevokedInfo.getInstance(status.getStatus());
                        String reason = info.getRevocationReason() == null ? "unspecified"
                                : reasonName(info.getRevocationReason().getValue().intValue());
                        throw new Definitive("'" + name + "' is REVOKED (" + reason + ", at "
                                + instant(info.getRevocationTime()) + ")");
                    }
                    default -> throw new Definitive("the OCSP responder does not know '" + name
                            + "' (status unknown)");
                }
            } catch (Definitive e) {
                throw e;
            } catch (GeneralSecurityException e) {
                problems.add(e.getMessage());
            }
        }
        if (problems.isEmpty()) {
            throw new GeneralSecurityException("no OCSP response for '" + name + "' (serial "
                    + cert.getSerialNumber().toString(16) + ") in the collateral"
                    + (unparsable.isEmpty() ? "" : "; unparsable: " + String.join("; ", unparsable)));
        }
        throw new GeneralSecurityException(String.join("; ", problems));
    }

    /** A verified response's answer (revoked, unknown): final, unlike a response that could not be used. */
    private static final class Definitive extends GeneralSecurityException {
        Definitive(String message) {
            super(message);
        }
    }

    private static SingleResponse find(BasicOCSPResponse r, X509Certificate cert, X509Certificate issuer)
            throws GeneralSecurityException {
        for (ASN1Encodable e : r.getTbsResponseData().getResponses()) {
            SingleResponse s = SingleResponse.getInstance(e);
            if (matches(s.getCertID(), cert, issuer)) {
                return s;
            }
        }
        return null;
    }

    private static final Map<String, String> DIGESTS = Map.of(
            "1.3.14.3.2.26", "SHA-1", "2.16.840.1.101.3.4.2.1", "SHA-256", "2.16.840.1.101.3.4.2.2", "SHA-384",
            "2.16.840.1.101.3.4.2.3", "SHA-512");

    private static boolean matches(CertID id, X509Certificate cert, X509Certificate issuer)
            throws GeneralSecurityException {
        if (!id.getSerialNumber().getValue().equals(cert.getSerialNumber())) {
            return false;
        }
        String digest = DIGESTS.get(id.getHashAlgorithm().getAlgorithm().getId());
        if (digest == null) {
            return false;
        }
        MessageDigest md = MessageDigest.getInstance(digest);
        byte[] nameHash = md.digest(issuer.getSubjectX500Principal().getEncoded());
        byte[] keyHash = md.digest(SubjectPublicKeyInfo.getInstance(issuer.getPublicKey().getEncoded())
                .getPublicKeyData().getBytes());
        return Arrays.equals(nameHash, id.getIssuerNameHash().getOctets())
                && Arrays.equals(keyHash, id.getIssuerKeyHash().getOctets());
    }

    /** The certificate that signed the response: the issuer, or a delegated responder certified within the chain. */
    private static X509Certificate signer(BasicOCSPResponse r, X509Certificate issuer, List<X509Certificate> above,
                                          Instant at) throws GeneralSecurityException {
        ResponderID rid = r.getTbsResponseData().getResponderID();
        if (names(rid, issuer)) {
            return issuer;
        }
        if (r.getCerts() != null) {
            for (ASN1Encodable e : r.getCerts()) {
                X509Certificate c;
                try {
                    c = GpuCerts.der(Certificate.getInstance(e).getEncoded(ASN1Encoding.DER), "OCSP responder");
                } catch (IOException | GpuFormatException ex) {
                    throw new GeneralSecurityException("an OCSP responder certificate does not decode");
                }
                if (!names(rid, c)) {
                    continue;
                }
                List<String> eku = c.getExtendedKeyUsage();
                if (eku == null || !eku.contains(KeyPurposeId.id_kp_OCSPSigning.getId())) {
                    throw new GeneralSecurityException("the OCSP responder '" + GpuCerts.cn(c)
                            + "' is not certified for OCSP signing");
                }
                List<X509Certificate> anchors = new ArrayList<>();
                anchors.add(issuer);
                anchors.addAll(above);
                // The responder must be certified by the issuer or a CA above it: validate it to that CA.
                for (X509Certificate ca : anchors) {
                    if (ca.getSubjectX500Principal().equals(c.getIssuerX500Principal())) {
                        try {
                            c.verify(ca.getPublicKey());
                            c.checkValidity(java.util.Date.from(at));
                            return c;
                        } catch (GeneralSecurityException ex) {
                            throw new GeneralSecurityException("the OCSP responder certificate '" + GpuCerts.cn(c)
                                    + "' is not valid: " + ex.getMessage());
                        }
                    }
                }
                throw new GeneralSecurityException("the OCSP responder '" + GpuCerts.cn(c)
                        + "' is not certified by the checked chain");
            }
        }
        throw new GeneralSecurityException("the OCSP response is signed by a responder that is neither the issuer"
                + " nor included in the response");
    }

    private static boolean names(ResponderID rid, X509Certificate c) throws GeneralSecurityException {
        if (rid.getName() != null) {
            return X500Name.getInstance(c.getSubjectX500Principal().getEncoded()).equals(rid.getName());
        }
        byte[] keyHash = MessageDigest.getInstance("SHA-1").digest(SubjectPublicKeyInfo.getInstance(
                c.getPublicKey().getEncoded()).getPublicKeyData().getBytes());
        return Arrays.equals(keyHash, rid.getKeyHash());
    }

    private static final Map<String, String> SIGNATURES = Map.of(
            "1.2.840.10045.4.3.2", "SHA256withECDSA", "1.2.840.10045.4.3.3", "SHA384withECDSA",
            "1.2.840.10045.4.3.4", "SHA512withECDSA", "1.2.840.113549.1.1.11", "SHA256withRSA",
            "1.2.840.113549.1.1.12", "SHA384withRSA", "1.2.840.113549.1.1.13", "SHA512withRSA");

    private static void verifySignature(BasicOCSPResponse r, X509Certificate signer) throws GeneralSecurityException {
        String alg = SIGNATURES.get(r.getSignatureAlgorithm().getAlgorithm().getId());
        if (alg == null) {
            throw new GeneralSecurityException("the OCSP response uses an unsupported signature algorithm "
                    + r.getSignatureAlgorithm().getAlgorithm().getId());
        }
        Signature s = Signature.getInstance(alg);
        s.initVerify(signer.getPublicKey());
        try {
            s.update(r.getTbsResponseData().getEncoded(ASN1Encoding.DER));
        } catch (IOException e) {
            throw new GeneralSecurityException("the OCSP response data does not encode");
        }
        if (!s.verify(r.getSignature().getOctets())) {
            throw new GeneralSecurityException("the OCSP response signature does not verify with '"
                    + GpuCerts.cn(signer) + "'");
        }
    }

    private static Instant instant(org.bouncycastle.asn1.ASN1GeneralizedTime t) throws GeneralSecurityException {
        try {
            return t.getDate().toInstant();
        } catch (java.text.ParseException e) {
            throw new GeneralSecurityException("an OCSP time does not parse");
        }
    }

    private static String reasonName(int reason) {
        return switch (reason) {
            case CRLReason.keyCompromise -> "keyCompromise";
            case CRLReason.cACompromise -> "cACompromise";
            case CRLReason.affiliationChanged -> "affiliationChanged";
            case CRLReason.superseded -> "superseded";
            case CRLReason.cessationOfOperation -> "cessationOfOperation";
            case CRLReason.certificateHold -> "certificateHold";
            case CRLReason.removeFromCRL -> "removeFromCRL";
            case CRLReason.privilegeWithdrawn -> "privilegeWithdrawn";
            case CRLReason.aACompromise -> "aACompromise";
            default -> "unspecified";
        };
    }
}
