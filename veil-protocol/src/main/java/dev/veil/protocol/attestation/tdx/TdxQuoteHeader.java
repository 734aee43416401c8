package dev.veil.protocol.attestation.tdx;

import java.util.Arrays;

/**
 * The 48-byte quote header (Intel TDX DCAP Quoting Library API, quote format v4/v5; offsets as in
 * {@code google/go-tdx-guest abi/abi.go}): version u16, attestation key type u16, TEE type u32, reserved/QE SVN u16,
 * reserved/PCE SVN u16, QE vendor ID [16], user data [20]. All integers little-endian.
 */
public final class TdxQuoteHeader {

    /** Header size in bytes. */
    public static final int SIZE = 0x30;
    /** Attestation key type 2: ECDSA-256-with-P-256. */
    public static final int ECDSA_P256 = 2;
    /** TEE type of a TDX quote. */
    public static final long TEE_TDX = 0x81;
    /** Intel's Quoting Enclave vendor ID, 939a7233-f79c-4ca9-940a-0db3957f0607. */
    static final byte[] INTEL_QE_VENDOR_ID = java.util.HexFormat.of().parseHex("939a7233f79c4ca9940a0db3957f0607");

    private final byte[] raw;

    TdxQuoteHeader(byte[] raw) {
        if (raw.length != SIZE) {
            throw new IllegalArgumentException("a quote header has 48 bytes");
        }
        this.raw = raw.clone();
    }

    public int version() {
        return QuoteReader.u16(raw, 0x00);
    }

    public int attestationKeyType() {
        return QuoteReader.u16(raw, 0x02);
    }

    public long teeType() {
        return QuoteReader.u32(raw, 0x04);
    }

    /** Bytes 8..10: QE SVN in SGX quotes, reserved for TDX. */
    public int qeSvn() {
        return QuoteReader.u16(raw, 0x08);
    }

    /** Bytes 10..12: PCE SVN in SGX quotes, reserved for TDX. */
    public int pceSvn() {
        return QuoteReader.u16(raw, 0x0A);
    }

    public byte[] qeVendorId() {
        return Arrays.copyOfRange(raw, 0x0C, 0x1C);
    }

    public byte[] userData() {
        return Arrays.copyOfRange(raw, 0x1C, 0x30);
    }

    /** Whether the QE vendor is Intel. */
    public boolean intelQe() {
        return Arrays.equals(qeVendorId(), INTEL_QE_VENDOR_ID);
    }

    public byte[] raw() {
        return raw.clone();
    }
}
