package dev.veil.protocol.attestation.snp;

import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1IA5String;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;

/**
 * The AMD extensions of a VCEK or VLEK certificate (AMD KDS specification 57230; OIDs as in {@code google/go-sev-guest}
 * {@code kds/kds.go}, FMC SPL as in {@code virtee/sev}), each an X.509 extension whose value is a DER INTEGER,
 * IA5String or raw bytes:
 *
 * <pre>
 * 1.3.6.1.4.1.3704.1.1    structVersion  INTEGER
 * 1.3.6.1.4.1.3704.1.2    productName    IA5String, e.g. "Milan-B0" (VCEK) or "Milan", "Turin"
 * 1.3.6.1.4.1.3704.1.3.1  blSPL          INTEGER
 * 1.3.6.1.4.1.3704.1.3.2  teeSPL         INTEGER
 * 1.3.6.1.4.1.3704.1.3.3  snpSPL         INTEGER
 * 1.3.6.1.4.1.3704.1.3.8  ucodeSPL       INTEGER
 * 1.3.6.1.4.1.3704.1.3.9  fmcSPL         INTEGER (Turin)
 * 1.3.6.1.4.1.3704.1.4    hwID           raw CHIP_ID: 64 bytes, 8 on Turin (VCEK only)
 * 1.3.6.1.4.1.3704.1.5    cspID          IA5String (VLEK only)
 * </pre>
 *
 * @param structVersion the extension structure version
 * @param productName   the product name, e.g. {@code Milan-B0}
 * @param tcb           the TCB the key was derived for ({@link TcbVersion#fmc()} {@code -1} without fmcSPL)
 * @param hwid          the chip's hardware id (VCEK), or null
 * @param cspId         the cloud provider's id (VLEK), or null
 */
public record EndorsementKeyExtensions(int structVersion, String productName, TcbVersion tcb, byte[] hwid,
                                       String cspId) {

    static final String PREFIX = "1.3.6.1.4.1.3704.1.";
    static final String STRUCT_VERSION = PREFIX + "1";
    static final String PRODUCT_NAME = PREFIX + "2";
    static final String BL_SPL = PREFIX + "3.1";
    static final String TEE_SPL = PREFIX + "3.2";
    static final String SNP_SPL = PREFIX + "3.3";
    static final String UCODE_SPL = PREFIX + "3.8";
    static final String FMC_SPL = PREFIX + "3.9";
    static final String HWID = PREFIX + "4";
    static final String CSP_ID = PREFIX + "5";

    public EndorsementKeyExtensions {
        hwid = hwid == null ? null : hwid.clone();
    }

    @Override
    public byte[] hwid() {
        return hwid == null ? null : hwid.clone();
    }

    /** The product line of {@link #productName()}: the part before any {@code -<stepping>}. */
    public String productLine() {
        int dash = productName.indexOf('-');
        return dash < 0 ? productName : productName.substring(0, dash);
    }

    /** Reads the extensions of an endorsement key certificate. */
    public static EndorsementKeyExtensions of(X509Certificate certificate) throws SnpFormatException {
        int structVersion = integer(certificate, STRUCT_VERSION, "structVersion", true);
        String productName = ia5(certificate, PRODUCT_NAME, "productName");
        if (productName == null) {
            throw new SnpFormatException("productName", "the certificate has no AMD product name extension");
        }
        TcbVersion tcb = new TcbVersion(
                integer(certificate, FMC_SPL, "fmcSPL", false),
                integer(certificate, BL_SPL, "blSPL", true),
                integer(certificate, TEE_SPL, "teeSPL", true),
                integer(certificate, SNP_SPL, "snpSPL", true),
                integer(certificate, UCODE_SPL, "ucodeSPL", true));
        byte[] hwid = hwid(certificate);
        String cspId = ia5(certificate, CSP_ID, "cspID");
        if (hwid != null && cspId != null) {
            throw new SnpFormatException("hwID", "a certificate has either a hwID (VCEK) or a cspID (VLEK), not both");
        }
        return new EndorsementKeyExtensions(structVersion, productName, tcb, hwid, cspId);
    }

    private static byte[] value(X509Certificate certificate, String oid, String field) throws SnpFormatException {
        byte[] wrapped = certificate.getExtensionValue(oid);
        if (wrapped == null) {
            return null;
        }
        try {
            return ASN1OctetString.getInstance(wrapped).getOctets();
        } catch (IllegalArgumentException e) {
            throw new SnpFormatException(field, "extension " + oid + " is not an OCTET STRING");
        }
    }

    private static ASN1Primitive der(byte[] value, String oid, String field) throws SnpFormatException {
        try {
            return ASN1Primitive.fromByteArray(value);
        } catch (IOException | RuntimeException e) {
            throw new SnpFormatException(field, "extension " + oid + " is not one DER value");
        }
    }

    private static int integer(X509Certificate certificate, String oid, String field, boolean required)
            throws SnpFormatException {
        byte[] value = value(certificate, oid, field);
        if (value == null) {
            if (required) {
                throw new SnpFormatException(field, "the certificate has no extension " + oid);
            }
            return -1;
        }
        if (!(der(value, oid, field) instanceof ASN1Integer i)) {
            throw new SnpFormatException(field, "extension " + oid + " is not an INTEGER");
        }
        if (i.getValue().signum() < 0 || i.getValue().bitLength() > 8) {
            throw new SnpFormatException(field, "extension " + oid + " is " + i.getValue() + ", not 0 to 255");
        }
        return i.getValue().intValue();
    }

    private static String ia5(X509Certificate certificate, String oid, String field) throws SnpFormatException {
        byte[] value = value(certificate, oid, field);
        if (value == null) {
            return null;
        }
        if (!(der(value, oid, field) instanceof ASN1IA5String s)) {
            throw new SnpFormatException(field, "extension " + oid + " is not an IA5String");
        }
        return s.getString();
    }

    private static byte[] hwid(X509Certificate certificate) throws SnpFormatException {
        byte[] value = value(certificate, HWID, "hwID");
        if (value == null) {
            return null;
        }
        // AMD KDS puts the raw CHIP_ID bytes here, without a DER tag (cf. go-sev-guest kds.go).
        if (value.length == 64 || value.length == 8) {
            return value;
        }
        if (der(value, HWID, "hwID") instanceof ASN1OctetString o
                && (o.getOctets().length == 64 || o.getOctets().length == 8)) {
            return o.getOctets();
        }
        throw new SnpFormatException("hwID", "extension " + HWID + " has " + value.length + " bytes, not a chip id");
    }

    @Override
    public String toString() {
        return "EndorsementKeyExtensions[structVersion=" + structVersion + ", productName=" + productName + ", tcb=" + tcb
                + (hwid != null ? ", hwID=" + HexFormat.of().formatHex(hwid) : "")
                + (cspId != null ? ", cspID=" + cspId : "") + "]";
    }
}
