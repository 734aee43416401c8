package dev.veil.protocol.attestation.nvidia;

import dev.veil.protocol.attestation.LittleEndianReader;

/** {@link LittleEndianReader} for SPDM messages: failures are {@link GpuFormatException}s naming the field. */
final class SpdmReader extends LittleEndianReader<GpuFormatException> {

    SpdmReader(byte[] data, int start, int end) {
        super(data, start, end, GpuFormatException::new);
    }

    /** A reader over the next {@code n} bytes; this reader moves past them. */
    SpdmReader slice(String field, long n) throws GpuFormatException {
        int at = advance(field, n);
        return new SpdmReader(data(), at, at + (int) n);
    }
}
