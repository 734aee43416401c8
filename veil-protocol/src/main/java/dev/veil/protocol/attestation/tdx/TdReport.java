package dev.veil.protocol.attestation.tdx;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The TD quote body: the TD report fields the quote signs. Offsets (body-relative, from Intel's quote format and
 * {@code google/go-tdx-guest abi/abi.go}): TEE_TCB_SVN[16]@0x00, MRSEAM[48]@0x10, MRSIGNERSEAM[48]@0x40,
 * SEAMATTRIBUTES[8]@0x70, TDATTRIBUTES[8]@0x78, XFAM[8]@0x80, MRTD[48]@0x88, MRCONFIGID[48]@0xB8, MROWNER[48]@0xE8,
 * MROWNERCONFIG[48]@0x118, RTMR0..3[4x48]@0x148, REPORTDATA[64]@0x208; a TDX 1.5 body (quote v5, body type 3) adds
 * TEE_TCB_SVN_2[16]@0x248 and MRSERVICETD[48]@0x258.
 */
public final class TdReport {

    /** Body type of a TDX 1.0 TD report (the only body of a v4 quote), 584 bytes. */
    public static final int TYPE_TDX10 = 2;
    /** Body type of a TDX 1.5 TD report (quote v5), 648 bytes. */
    public static final int TYPE_TDX15 = 3;
    public static final int SIZE_TDX10 = 0x248;
    public static final int SIZE_TDX15 = 0x288;
    /** TDATTRIBUTES bit 0: the TD is debuggable (its secrets are not protected). */
    public static final long ATTRIBUTE_DEBUG = 1L;
    /** TDATTRIBUTES bit 28: SEPT_VE_DISABLE. */
    public static final long ATTRIBUTE_SEPT_VE_DISABLE = 1L << 28;

    private final byte[] raw;
    private final int type;

    TdReport(byte[] raw, int type) {
        if (!(type == TYPE_TDX10 && raw.length == SIZE_TDX10 || type == TYPE_TDX15 && raw.length == SIZE_TDX15)) {
            throw new IllegalArgumentException("TD report body type " + type + " with " + raw.length + " bytes");
        }
        this.raw = raw.clone();
        this.type = type;
    }

    private byte[] field(int off, int len) {
        return Arrays.copyOfRange(raw, off, off + len);
    }

    /** {@link #TYPE_TDX10} or {@link #TYPE_TDX15}. */
    public int type() {
        return type;
    }

    public byte[] teeTcbSvn() {
        return field(0x00, 16);
    }

    public byte[] mrSeam() {
        return field(0x10, 48);
    }

    public byte[] mrSignerSeam() {
        return field(0x40, 48);
    }

    public byte[] seamAttributes() {
        return field(0x70, 8);
    }

    public byte[] tdAttributes() {
        return field(0x78, 8);
    }

    /** TDATTRIBUTES as a little-endian integer. */
    public long tdAttributesValue() {
        return QuoteReader.u64(raw, 0x78);
    }

    /** Whether TDATTRIBUTES has the DEBUG bit. */
    public boolean debug() {
        return (tdAttributesValue() & ATTRIBUTE_DEBUG) != 0;
    }

    public byte[] xfam() {
        return field(0x80, 8);
    }

    public byte[] mrTd() {
        return field(0x88, 48);
    }

    public byte[] mrConfigId() {
        return field(0xB8, 48);
    }

    public byte[] mrOwner() {
        return field(0xE8, 48);
    }

    public byte[] mrOwnerConfig() {
        return field(0x118, 48);
    }

    /** RTMR {@code index} (0..3). */
    public byte[] rtmr(int index) {
        if (index < 0 || index > 3) {
            throw new IllegalArgumentException("RTMR index is 0..3");
        }
        return field(0x148 + 48 * index, 48);
    }

    public byte[] reportData() {
        return field(0x208, 64);
    }

    /** TEE_TCB_SVN_2 of a TDX 1.5 body, or null for a TDX 1.0 body. */
    public byte[] teeTcbSvn2() {
        return type == TYPE_TDX15 ? field(0x248, 16) : null;
    }

    /** MRSERVICETD of a TDX 1.5 body, or null for a TDX 1.0 body. */
    public byte[] mrServiceTd() {
        return type == TYPE_TDX15 ? field(0x258, 48) : null;
    }

    /** MRTD in lower-case hex, the measurement Veil reports for TDX. */
    public String mrTdHex() {
        return HexFormat.of().formatHex(mrTd());
    }

    public byte[] raw() {
        return raw.clone();
    }
}
