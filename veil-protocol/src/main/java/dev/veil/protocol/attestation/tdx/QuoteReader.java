package dev.veil.protocol.attestation.tdx;

import dev.veil.protocol.attestation.LittleEndianReader;

/** {@link LittleEndianReader} for TDX quotes: failures are {@link TdxFormatException}s naming the field. */
final class QuoteReader extends LittleEndianReader<TdxFormatException> {

    QuoteReader(byte[] data, int start, int end) {
        super(data, start, end, TdxFormatException::new);
    }

    /** A reader over the next {@code n} bytes; this reader moves past them. */
    QuoteReader slice(String field, long n) throws TdxFormatException {
        int at = advance(field, n);
        return new QuoteReader(data(), at, at + (int) n);
    }

    static int u16(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8;
    }

    static long u32(byte[] b, int off) {
        return (b[off] & 0xffL) | (b[off + 1] & 0xffL) << 8 | (b[off + 2] & 0xffL) << 16 | (b[off + 3] & 0xffL) << 24;
    }

    static long u64(byte[] b, int off) {
        return u32(b, off) | u32(b, off + 4) << 32;
    }
}
