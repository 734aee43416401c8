package dev.veil.protocol.attestation.nvidia;

import java.util.Arrays;

/** Bounds-checked little-endian reading of an SPDM message; every read names its field so errors can say which. */
final class SpdmReader {

    private final byte[] data;
    private final int end;
    private int pos;

    SpdmReader(byte[] data, int start, int end) {
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

    private void need(String field, long n) throws GpuFormatException {
        if (n < 0 || n > remaining()) {
            throw new GpuFormatException(field, "needs " + n + " bytes at offset " + pos + " but only " + remaining()
                    + " remain (truncated)");
        }
    }

    int u8(String field) throws GpuFormatException {
        need(field, 1);
        return data[pos++] & 0xff;
    }

    int u16(String field) throws GpuFormatException {
        need(field, 2);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8;
        pos += 2;
        return v;
    }

    int u24(String field) throws GpuFormatException {
        need(field, 3);
        int v = (data[pos] & 0xff) | (data[pos + 1] & 0xff) << 8 | (data[pos + 2] & 0xff) << 16;
        pos += 3;
        return v;
    }

    byte[] bytes(String field, long n) throws GpuFormatException {
        need(field, n);
        byte[] out = Arrays.copyOfRange(data, pos, pos + (int) n);
        pos += (int) n;
        return out;
    }

    SpdmReader slice(String field, long n) throws GpuFormatException {
        need(field, n);
        SpdmReader sub = new SpdmReader(data, pos, pos + (int) n);
        pos += (int) n;
        return sub;
    }
}
