package dev.veil.protocol.attestation.tdx;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;

/**
 * The Intel SGX extensions of a PCK certificate (OID {@value #OID}), from Intel's "SGX PCK Certificate and CRL
 * Profile": PPID (.1), TCB (.2: component SVNs .2.1-.2.16, PCESVN .2.17, CPUSVN .2.18), PCE-ID (.3), FMSPC (.4) and
 * SGX type (.5).
 *
 * @param ppid               platform provisioning ID, hex
 * @param sgxTcbComponents   the 16 SGX TCB component SVNs (.2.1 to .2.16)
 * @param pceSvn             PCE SVN
 * @param cpuSvn             CPUSVN, hex
 * @param pceId              PCE ID, hex
 * @param fmspc              FMSPC (family-model-stepping-platform-customSKU), lower-case hex
 * @param sgxType            0 standard, 1 scalable, 2 scalable with integrity
 */
public record PckExtensions(String ppid, List<Integer> sgxTcbComponents, int pceSvn, String cpuSvn, String pceId,
                            String fmspc, int sgxType) {

    /** The Intel SGX extensions OID. */
    public static final String OID = "1.2.840.113741.1.13.1";

    public PckExtensions {
        sgxTcbComponents = List.copyOf(sgxTcbComponents);
    }

    /** Reads the extensions of a PCK certificate. */
    public static PckExtensions of(X509Certificate pck) throws TdxFormatException {
        byte[] ext = pck.getExtensionValue(OID);
        if (ext == null) {
            throw new TdxFormatException("PCK certificate", "has no SGX extensions (" + OID + ")");
        }
        try {
            Map<String, ASN1Encodable> top = entries(ASN1Sequence.getInstance(
                    ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(ext).getOctets())));
            Map<String, ASN1Encodable> tcb = entries(ASN1Sequence.getInstance(required(top, ".2", "TCB")));
            List<Integer> components = new ArrayList<>(16);
            for (int i = 1; i <= 16; i++) {
                components.add(smallInt(ASN1Integer.getInstance(required(tcb, ".2." + i, "SGX TCB component " + i))
                        .getValue(), "SGX TCB component " + i));
            }
            int pceSvn = smallInt(ASN1Integer.getInstance(required(tcb, ".2.17", "PCESVN")).getValue(), "PCESVN");
            String cpuSvn = hex(required(tcb, ".2.18", "CPUSVN"));
            String fmspc = hex(required(top, ".4", "FMSPC"));
            if (fmspc.length() != 12) {
                throw new TdxFormatException("PCK certificate FMSPC", "expected 6 bytes, got " + fmspc.length() / 2);
            }
            ASN1Encodable type = top.get(OID + ".5");
            int sgxType = type == null ? -1 : smallInt(ASN1Enumerated.getInstance(type).getValue(), "SGX type");
            return new PckExtensions(hex(required(top, ".1", "PPID")), components, pceSvn, cpuSvn,
                    hex(required(top, ".3", "PCE-ID")), fmspc, sgxType);
        } catch (java.io.IOException | IllegalArgumentException | IllegalStateException e) {
            throw new TdxFormatException("PCK certificate SGX extensions", "malformed: " + e.getMessage());
        }
    }

    private static Map<String, ASN1Encodable> entries(ASN1Sequence seq) {
        Map<String, ASN1Encodable> out = new HashMap<>();
        for (ASN1Encodable e : seq) {
            ASN1Sequence pair = ASN1Sequence.getInstance(e);
            if (pair.size() != 2) {
                throw new IllegalArgumentException("an SGX extension entry is an (OID, value) pair");
            }
            out.put(ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0)).getId(), pair.getObjectAt(1));
        }
        return out;
    }

    private static ASN1Encodable required(Map<String, ASN1Encodable> m, String suffix, String name)
            throws TdxFormatException {
        ASN1Encodable v = m.get(OID + suffix);
        if (v == null) {
            throw new TdxFormatException("PCK certificate " + name, "missing (" + OID + suffix + ")");
        }
        return v;
    }

    private static int smallInt(BigInteger v, String name) throws TdxFormatException {
        if (v.signum() < 0 || v.bitLength() > 16) {
            throw new TdxFormatException("PCK certificate " + name, "out of range: " + v);
        }
        return v.intValue();
    }

    private static String hex(ASN1Encodable v) {
        return HexFormat.of().formatHex(ASN1OctetString.getInstance(v).getOctets());
    }
}
