package dev.veil.protocol.attestation.tdx;

import java.util.Arrays;

/**
 * A parsed Intel TDX quote, version 4 or 5, with ECDSA-P256 attestation key and QE report certification data.
 *
 * <pre>
 * v4: header[48] | TD report body[584]                                   | sig_data_len u32 | sig_data
 * v5: header[48] | body_type u16 (2: TDX 1.0, 3: TDX 1.5) | body_size u32 | body[584|648] | sig_data_len u32 | sig_data
 * sig_data: ECDSA signature r||s[64] | attestation key X||Y[64] | cert_data_type u16 (=6) | cert_data_size u32 | cert_data
 * cert_data (type 6): QE report[384] | QE report signature r||s[64] | QE auth data size u16 | QE auth data
 *                     | nested cert_data_type u16 (=5) | size u32 | PEM chain (PCK leaf, Platform/Processor CA, Root CA)
 * </pre>
 *
 * The quote signature covers everything before {@code sig_data_len}. Bytes after the signature data (some quote
 * providers pad the buffer) are not signed; they are counted in {@link #trailingBytes()} and otherwise ignored.
 */
public final class TdxQuote {

    /** Certification data type 6: QE report certification data. */
    public static final int CERT_DATA_QE_REPORT = 6;
    /** Certification data type 5: concatenated PEM PCK certificate chain. */
    public static final int CERT_DATA_PCK_CHAIN = 5;

    private final TdxQuoteHeader header;
    private final TdReport report;
    private final byte[] signedBytes;
    private final byte[] signature;
    private final byte[] attestationKey;
    private final QeReport qeReport;
    private final byte[] qeReportSignature;
    private final byte[] qeAuthData;
    private final byte[] pckCertChain;
    private final int trailingBytes;

    private TdxQuote(TdxQuoteHeader header, TdReport report, byte[] signedBytes, byte[] signature,
                     byte[] attestationKey, QeReport qeReport, byte[] qeReportSignature, byte[] qeAuthData,
                     byte[] pckCertChain, int trailingBytes) {
        this.header = header;
        this.report = report;
        this.signedBytes = signedBytes;
        this.signature = signature;
        this.attestationKey = attestationKey;
        this.qeReport = qeReport;
        this.qeReportSignature = qeReportSignature;
        this.qeAuthData = qeAuthData;
        this.pckCertChain = pckCertChain;
        this.trailingBytes = trailingBytes;
    }

    /**
     * Parses a raw quote.
     *
     * @throws TdxFormatException naming the field that is out of range or truncated
     */
    public static TdxQuote parse(byte[] quote) throws TdxFormatException {
        if (quote == null) {
            throw new TdxFormatException("quote", "missing");
        }
        QuoteReader r = new QuoteReader(quote, 0, quote.length);
        TdxQuoteHeader header = new TdxQuoteHeader(r.bytes("header", TdxQuoteHeader.SIZE));
        if (header.version() != 4 && header.version() != 5) {
            throw new TdxFormatException("version", "expected 4 or 5, got " + header.version());
        }
        if (header.attestationKeyType() != TdxQuoteHeader.ECDSA_P256) {
            throw new TdxFormatException("attestation key type",
                    "expected 2 (ECDSA-256-with-P-256), got " + header.attestationKeyType());
        }
        if (header.teeType() != TdxQuoteHeader.TEE_TDX) {
            throw new TdxFormatException("TEE type", "expected 0x81 (TDX), got 0x" + Long.toHexString(header.teeType()));
        }
        int type = TdReport.TYPE_TDX10;
        int size = TdReport.SIZE_TDX10;
        if (header.version() == 5) {
            type = r.u16("body descriptor type");
            long declared = r.u32("body descriptor size");
            if (type == TdReport.TYPE_TDX10 || type == TdReport.TYPE_TDX15) {
                size = type == TdReport.TYPE_TDX10 ? TdReport.SIZE_TDX10 : TdReport.SIZE_TDX15;
            } else {
                throw new TdxFormatException("body descriptor type",
                        "expected 2 (TDX 1.0 TD report) or 3 (TDX 1.5 TD report), got " + type);
            }
            if (declared != size) {
                throw new TdxFormatException("body descriptor size",
                        "expected " + size + " for body type " + type + ", got " + declared);
            }
        }
        TdReport report = new TdReport(r.bytes("TD quote body", size), type);
        byte[] signedBytes = Arrays.copyOfRange(quote, 0, r.position());
        long sigDataLength = r.u32("signature data length");
        QuoteReader sig = r.slice("signature data", sigDataLength);
        byte[] signature = sig.bytes("quote signature", 64);
        byte[] attestationKey = sig.bytes("attestation key", 64);
        int certType = sig.u16("certification data type");
        if (certType != CERT_DATA_QE_REPORT) {
            throw new TdxFormatException("certification data type",
                    "expected 6 (QE report certification data), got " + certType);
        }
        long certSize = sig.u32("certification data size");
        if (certSize != sig.remaining()) {
            throw new TdxFormatException("certification data size",
                    "declares " + certSize + " bytes but the signature data holds " + sig.remaining());
        }
        QeReport qeReport = new QeReport(sig.bytes("QE report", QeReport.SIZE));
        byte[] qeReportSignature = sig.bytes("QE report signature", 64);
        int authSize = sig.u16("QE authentication data size");
        byte[] qeAuthData = sig.bytes("QE authentication data", authSize);
        int nestedType = sig.u16("PCK certification data type");
        if (nestedType != CERT_DATA_PCK_CHAIN) {
            throw new TdxFormatException("PCK certification data type",
                    "expected 5 (PEM PCK certificate chain), got " + nestedType);
        }
        long chainSize = sig.u32("PCK certificate chain size");
        if (chainSize != sig.remaining()) {
            throw new TdxFormatException("PCK certificate chain size",
                    "declares " + chainSize + " bytes but " + sig.remaining() + " remain in the certification data");
        }
        byte[] chain = sig.bytes("PCK certificate chain", chainSize);
        return new TdxQuote(header, report, signedBytes, signature, attestationKey, qeReport, qeReportSignature,
                qeAuthData, chain, r.remaining());
    }

    public TdxQuoteHeader header() {
        return header;
    }

    /** 4 or 5. */
    public int version() {
        return header.version();
    }

    public TdReport report() {
        return report;
    }

    /** The bytes the attestation key signs: header, (v5) body descriptor, and TD report body. */
    public byte[] signedBytes() {
        return signedBytes.clone();
    }

    /** The quote's ECDSA P-256 signature, raw r||s. */
    public byte[] signature() {
        return signature.clone();
    }

    /** The attestation key, raw X||Y on P-256. */
    public byte[] attestationKey() {
        return attestationKey.clone();
    }

    public QeReport qeReport() {
        return qeReport;
    }

    /** The PCK key's ECDSA P-256 signature over the QE report, raw r||s. */
    public byte[] qeReportSignature() {
        return qeReportSignature.clone();
    }

    public byte[] qeAuthData() {
        return qeAuthData.clone();
    }

    /** The PEM PCK certificate chain as carried (may end with a NUL byte). */
    public byte[] pckCertChain() {
        return pckCertChain.clone();
    }

    /** Unsigned bytes after the signature data. */
    public int trailingBytes() {
        return trailingBytes;
    }
}
