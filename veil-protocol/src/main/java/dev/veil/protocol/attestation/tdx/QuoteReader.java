package dev.veil.protocol.attestation.tdx;

import java.util.Arrays;

/** Bounds-checked little-endian reading of a byte range; every read names its field so errors can say which. */
final class QuoteReader {

    private final byte[] data;
    private final int end;
    private int pos;

    QuoteReader(byte[] data, int start, int end) {
        this.data = data;
        this.pos = start;
        this.end = end;
    }

    int position() {
        return pos;
    }

    int remaining() {
        return end - pos;
    }

    private void need(String field, long n) throws TdxFormatException {
        if (n < 0 || n > remaining()) {
            throw new TdxFormatException(field, "needs " + n + " bytes at offset " + pos + " but only " + remaining()
                    + " remain");
        }
    }

    byte[] bytes(String field, long n) throws TdxFormatException {
        need(field, n);
        byte[] out = Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    int u16(String field) throws TdxFormatException {
        need(field, 2);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    long u32(String field) throws TdxFormatException {
        need(field, 4);
        long v = (data[pos] & 0xffL) | (data[pos + 1] & 0xffL) << 8 | (data[pos + 2] & 0xffL) << 16
                | (data[pos + 3] & 0xffL) << 24;
        pos += 4;
        return v;
    }

    /** A reader over the next {@code n} bytes; this reader moves past them. */
    QuoteReader slice(String field, long n) throws TdxFormatException {
        need(field, n);
        QuoteReader sub = new QuoteReader(data, pos, pos + (int) n);
        pos += (int) n;
        return sub;
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
