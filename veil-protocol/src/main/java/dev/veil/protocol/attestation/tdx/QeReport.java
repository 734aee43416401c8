package dev.veil.protocol.attestation.tdx;

import java.util.Arrays;

/**
 * The Quoting Enclave's SGX enclave report (384 bytes) carried in the quote's certification data. Offsets (from
 * {@code google/go-tdx-guest abi/abi.go}): CPUSVN[16]@0x00, MISCSELECT u32@0x10, ATTRIBUTES[16]@0x30,
 * MRENCLAVE[32]@0x40, MRSIGNER[32]@0x80, ISVPRODID u16@0x100, ISVSVN u16@0x102, REPORTDATA[64]@0x140.
 */
public final class QeReport {

    public static final int SIZE = 0x180;

    private final byte[] raw;

    QeReport(byte[] raw) {
        if (raw.length != SIZE) {
            throw new IllegalArgumentException("a QE report has 384 bytes");
        }
        this.raw = raw.clone();
    }

    public byte[] cpuSvn() {
        return Arrays.copyOfRange(raw, 0x00, 0x10);
    }

    public long miscSelect() {
        return QuoteReader.u32(raw, 0x10);
    }

    public byte[] attributes() {
        return Arrays.copyOfRange(raw, 0x30, 0x40);
    }

    public byte[] mrEnclave() {
        return Arrays.copyOfRange(raw, 0x40, 0x60);
    }

    public byte[] mrSigner() {
        return Arrays.copyOfRange(raw, 0x80, 0xA0);
    }

    public int isvProdId() {
        return QuoteReader.u16(raw, 0x100);
    }

    public int isvSvn() {
        return QuoteReader.u16(raw, 0x102);
    }

    public byte[] reportData() {
        return Arrays.copyOfRange(raw, 0x140, 0x180);
    }

    /** The signed bytes: the whole report. */
    public byte[] raw() {
        return raw.clone();
    }
}
