package dev.veil.protocol.attestation.nvidia;

import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;

/**
 * The firmware id (FWID) the GPU's device certificate attests, and for Blackwell the DICE operational flags.
 *
 * <ul>
 *   <li>Hopper: extension {@code 2.23.133.5.4.1}, {@code SEQUENCE { INTEGER, SubjectPublicKeyInfo, SEQUENCE { sha384,
 *       OCTET STRING (48) } }}: the FWID is the digest of the last element.</li>
 *   <li>Blackwell: extension {@code 2.23.133.5.4.1.1}, a TCG DICE {@code TcbInfo}: the FWID is the first entry of
 *       {@code fwids [6]}; {@code flags [7]} carries the DICE operational flags (bit 3 = debug).</li>
 * </ul>
 *
 * @param fwid     the FWID, lower-case hex
 * @param flags    Blackwell's DICE operational flags as a bit string (bit 0 first), or null
 */
record DeviceCertificateFwid(String fwid, String flags) {

    static final String HOPPER_OID = "2.23.133.5.4.1";
    static final String BLACKWELL_OID = "2.23.133.5.4.1.1";
    private static final ASN1ObjectIdentifier SHA384 = new ASN1ObjectIdentifier("2.16.840.1.101.3.4.2.2");
    /** TCG DICE OperationalFlags bit "debug". */
    static final int DICE_DEBUG_BIT = 3;

    /** Whether the DICE flags mark the firmware as in debug mode. */
    boolean debug() {
        return flags != null && flags.length() > DICE_DEBUG_BIT && flags.charAt(DICE_DEBUG_BIT) == '1';
    }

    static DeviceCertificateFwid of(X509Certificate leaf, GpuArchitecture arch) throws GpuFormatException {
        String oid = arch == GpuArchitecture.HOPPER ? HOPPER_OID : BLACKWELL_OID;
        byte[] wrapped = leaf.getExtensionValue(oid);
        if (wrapped == null) {
            throw new GpuFormatException("device certificate", "no FWID extension " + oid);
        }
        try {
            ASN1Primitive value = ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(wrapped).getOctets());
            ASN1Sequence seq = ASN1Sequence.getInstance(value);
            return arch == GpuArchitecture.HOPPER ? hopper(seq) : blackwell(seq);
        } catch (java.io.IOException | IllegalArgumentException | IllegalStateException | ClassCastException e) {
            throw new GpuFormatException("device certificate FWID extension " + oid, "does not decode: "
                    + e.getMessage());
        }
    }

    private static DeviceCertificateFwid hopper(ASN1Sequence seq) throws GpuFormatException {
        if (seq.size() != 3) {
            throw new GpuFormatException("FWID extension", "expected 3 elements, got " + seq.size());
        }
        return new DeviceCertificateFwid(digest(seq.getObjectAt(2)), null);
    }

    private static DeviceCertificateFwid blackwell(ASN1Sequence seq) throws GpuFormatException {
        String fwid = null;
        String flags = null;
        for (ASN1Encodable e : seq) {
            ASN1TaggedObject t = ASN1TaggedObject.getInstance(e);
            if (t.getTagNo() == 6) {
                ASN1Sequence fwids = ASN1Sequence.getInstance(t, false);
                if (fwids.size() == 0) {
                    throw new GpuFormatException("TcbInfo fwids", "empty");
                }
                fwid = digest(fwids.getObjectAt(0));
            } else if (t.getTagNo() == 7) {
                ASN1BitString bits = ASN1BitString.getInstance(t, false);
                byte[] b = bits.getBytes();
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < b.length * 8 - bits.getPadBits(); i++) {
                    s.append((b[i / 8] >> (7 - i % 8) & 1) == 1 ? '1' : '0');
                }
                flags = s.toString();
            }
        }
        if (fwid == null) {
            throw new GpuFormatException("TcbInfo", "no fwids [6]");
        }
        return new DeviceCertificateFwid(fwid, flags);
    }

    private static String digest(ASN1Encodable fwid) throws GpuFormatException {
        ASN1Sequence s = ASN1Sequence.getInstance(fwid);
        if (s.size() != 2 || !SHA384.equals(ASN1ObjectIdentifier.getInstance(s.getObjectAt(0)))) {
            throw new GpuFormatException("FWID", "expected SEQUENCE { sha384, OCTET STRING }");
        }
        byte[] d = ASN1OctetString.getInstance(s.getObjectAt(1)).getOctets();
        if (d.length != 48) {
            throw new GpuFormatException("FWID", "a SHA-384 digest has 48 bytes, got " + d.length);
        }
        return HexFormat.of().formatHex(d);
    }
}
