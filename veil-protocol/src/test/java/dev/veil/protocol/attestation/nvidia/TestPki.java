package dev.veil.protocol.attestation.nvidia;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1GeneralizedTime;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.ocsp.BasicOCSPResponse;
import org.bouncycastle.asn1.ocsp.CertID;
import org.bouncycastle.asn1.ocsp.CertStatus;
import org.bouncycastle.asn1.ocsp.OCSPObjectIdentifiers;
import org.bouncycastle.asn1.ocsp.OCSPResponse;
import org.bouncycastle.asn1.ocsp.OCSPResponseStatus;
import org.bouncycastle.asn1.ocsp.ResponderID;
import org.bouncycastle.asn1.ocsp.ResponseBytes;
import org.bouncycastle.asn1.ocsp.ResponseData;
import org.bouncycastle.asn1.ocsp.RevokedInfo;
import org.bouncycastle.asn1.ocsp.SingleResponse;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;

/**
 * A test PKI generated at run time (ECDSA P-384), for the pieces no public sample has: OCSP responses, RIMs that
 * match public reports, device chains for re-signed reports. Nothing made here is trusted outside the tests that
 * pass its roots explicitly to {@link GpuVerifier#GpuVerifier(List, List)}.
 */
final class TestPki {

    static final AlgorithmIdentifier ECDSA_SHA384 = new AlgorithmIdentifier(
            new ASN1ObjectIdentifier("1.2.840.10045.4.3.3"));
    private static final AtomicLong SERIAL = new AtomicLong(1000);
    static final Instant NOT_BEFORE = Instant.parse("2020-01-01T00:00:00Z");
    static final Instant NOT_AFTER = Instant.parse("2040-01-01T00:00:00Z");

    /** A certificate and its private key. */
    record Issued(X509Certificate cert, PrivateKey key) {
    }

    private TestPki() {
    }

    static KeyPair p384() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp384r1"));
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static Issued root(String cn) {
        KeyPair kp = p384();
        return new Issued(issue(cn, kp, null, true, List.of(), NOT_BEFORE, NOT_AFTER), kp.getPrivate());
    }

    static Issued ca(String cn, Issued issuer) {
        KeyPair kp = p384();
        return new Issued(issue(cn, kp, issuer, true, List.of(), NOT_BEFORE, NOT_AFTER), kp.getPrivate());
    }

    static Issued leaf(String cn, Issued issuer, List<Extension> extra) {
        return leaf(cn, issuer, extra, NOT_BEFORE, NOT_AFTER);
    }

    static Issued leaf(String cn, Issued issuer, List<Extension> extra, Instant from, Instant to) {
        KeyPair kp = p384();
        return new Issued(issue(cn, kp, issuer, false, extra, from, to), kp.getPrivate());
    }

    static X509Certificate issue(String cn, KeyPair subject, Issued issuer, boolean ca, List<Extension> extra,
                                 Instant from, Instant to) {
        try {
            X500Name name = new X500Name("CN=" + cn + ",O=Veil test PKI");
            V3TBSCertificateGenerator g = new V3TBSCertificateGenerator();
            g.setSerialNumber(new ASN1Integer(SERIAL.incrementAndGet()));
            g.setIssuer(issuer == null ? name : X500Name.getInstance(issuer.cert().getSubjectX500Principal()
                    .getEncoded()));
            g.setSubject(name);
            g.setStartDate(new Time(Date.from(from)));
            g.setEndDate(new Time(Date.from(to)));
            g.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(subject.getPublic().getEncoded()));
            g.setSignature(ECDSA_SHA384);
            ExtensionsGenerator ext = new ExtensionsGenerator();
            ext.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            ext.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                    : KeyUsage.digitalSignature));
            for (Extension e : extra) {
                ext.addExtension(e);
            }
            g.setExtensions(ext.generate());
            TBSCertificate tbs = g.generateTBSCertificate();
            byte[] sig = sign(issuer == null ? subject.getPrivate() : issuer.key(), tbs.getEncoded(ASN1Encoding.DER));
            ASN1EncodableVector v = new ASN1EncodableVector();
            v.add(tbs);
            v.add(ECDSA_SHA384);
            v.add(new DERBitString(sig));
            byte[] der = Certificate.getInstance(new DERSequence(v)).getEncoded(ASN1Encoding.DER);
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sign(PrivateKey key, byte[] data) throws GeneralSecurityException {
        Signature s = Signature.getInstance("SHA384withECDSA");
        s.initSign(key);
        s.update(data);
        return s.sign();
    }

    /** Hopper's FWID extension: SEQUENCE { INTEGER 1, SubjectPublicKeyInfo, SEQUENCE { sha384, OCTET STRING } }. */
    static Extension hopperFwid(byte[] fwid, KeyPair anyKey) {
        try {
            ASN1EncodableVector digest = new ASN1EncodableVector();
            digest.add(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.2"));
            digest.add(new DEROctetString(fwid));
            ASN1EncodableVector v = new ASN1EncodableVector();
            v.add(new ASN1Integer(1));
            v.add(SubjectPublicKeyInfo.getInstance(anyKey.getPublic().getEncoded()));
            v.add(new DERSequence(digest));
            return new Extension(new ASN1ObjectIdentifier(DeviceCertificateFwid.HOPPER_OID), false,
                    new DERSequence(v).getEncoded(ASN1Encoding.DER));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Blackwell's TCG DICE TcbInfo extension with one FWID and the given operational flags (4 bytes). */
    static Extension diceTcbInfo(byte[] fwid, byte[] flags) {
        try {
            ASN1EncodableVector digest = new ASN1EncodableVector();
            digest.add(new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.2"));
            digest.add(new DEROctetString(fwid));
            ASN1EncodableVector v = new ASN1EncodableVector();
            v.add(new org.bouncycastle.asn1.DERTaggedObject(false, 0, new org.bouncycastle.asn1.DERUTF8String("NVIDIA")));
            v.add(new org.bouncycastle.asn1.DERTaggedObject(false, 6, new DERSequence(new DERSequence(digest))));
            v.add(new org.bouncycastle.asn1.DERTaggedObject(false, 7, new DERBitString(flags, 0)));
            return new Extension(new ASN1ObjectIdentifier(DeviceCertificateFwid.BLACKWELL_OID), false,
                    new DERSequence(v).getEncoded(ASN1Encoding.DER));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static Extension ocspSigning() {
        try {
            return new Extension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(KeyPurposeId.id_kp_OCSPSigning).getEncoded(ASN1Encoding.DER));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    enum Status { GOOD, REVOKED, UNKNOWN }

    /**
     * A DER OCSP response for {@code cert}, signed by {@code signer} (the issuer, or a delegated responder whose
     * certificate is then included).
     */
    static byte[] ocsp(X509Certificate cert, X509Certificate issuer, Issued signer, Status status, Instant thisUpdate,
                       Instant nextUpdate) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] nameHash = sha1.digest(issuer.getSubjectX500Principal().getEncoded());
            byte[] keyHash = sha1.digest(SubjectPublicKeyInfo.getInstance(issuer.getPublicKey().getEncoded())
                    .getPublicKeyData().getBytes());
            CertID id = new CertID(new AlgorithmIdentifier(new ASN1ObjectIdentifier("1.3.14.3.2.26"), DERNull.INSTANCE),
                    new DEROctetString(nameHash), new DEROctetString(keyHash), new ASN1Integer(cert.getSerialNumber()));
            CertStatus cs = switch (status) {
                case GOOD -> new CertStatus();
                case REVOKED -> new CertStatus(new RevokedInfo(new ASN1GeneralizedTime(Date.from(thisUpdate)),
                        CRLReason.lookup(CRLReason.keyCompromise)));
                case UNKNOWN -> new CertStatus(2, DERNull.INSTANCE);
            };
            SingleResponse single = new SingleResponse(id, cs, new ASN1GeneralizedTime(Date.from(thisUpdate)),
                    nextUpdate == null ? null : new ASN1GeneralizedTime(Date.from(nextUpdate)), (org.bouncycastle.asn1.x509.Extensions) null);
            ResponseData data = new ResponseData(new ResponderID(X500Name.getInstance(
                    signer.cert().getSubjectX500Principal().getEncoded())), new ASN1GeneralizedTime(Date.from(thisUpdate)),
                    new DERSequence(single), (org.bouncycastle.asn1.x509.Extensions) null);
            byte[] sig = sign(signer.key(), data.getEncoded(ASN1Encoding.DER));
            DERSequence certs = signer.cert().equals(issuer) ? null
                    : new DERSequence(Certificate.getInstance(signer.cert().getEncoded()));
            BasicOCSPResponse basic = new BasicOCSPResponse(data, ECDSA_SHA384, new DERBitString(sig), certs);
            return new OCSPResponse(new OCSPResponseStatus(OCSPResponseStatus.SUCCESSFUL),
                    new ResponseBytes(OCSPObjectIdentifiers.id_pkix_ocsp_basic,
                            new DEROctetString(basic.getEncoded(ASN1Encoding.DER)))).getEncoded(ASN1Encoding.DER);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
