package dev.veil.protocol.attestation;

import java.util.Arrays;

/**
 * Bounds-checked little-endian reading of a byte range, shared by the binary evidence parsers (TDX quotes, SPDM
 * measurement responses). Every read names its field, and running past the end fails with the parser's own
 * exception, made by {@link Failure}, naming that field: never an {@code ArrayIndexOutOfBoundsException}.
 *
 * @param <E> the parser's format exception
 */
public abstract class LittleEndianReader<E extends Exception> {

    /** Makes the parser's exception for a read of {@code field} that failed as {@code message} says. */
    @FunctionalInterface
    public interface Failure<E extends Exception> {
        E at(String field, String message);
    }

    private final byte[] data;
    private final int end;
    private final Failure<E> failure;
    private int pos;

    /** A reader of {@code data} from {@code start} (inclusive) to {@code end} (exclusive). */
    protected LittleEndianReader(byte[] data, int start, int end, Failure<E> failure) {
        this.data = data;
        this.pos = start;
        this.end = end;
        this.failure = failure;
    }

    /** The offset of the next read in the whole array. */
    public int position() {
        return pos;
    }

    /** The bytes left in the range. */
    public int remaining() {
        return end - pos;
    }

    /** Fails unless {@code n} more bytes remain for {@code field}. */
    protected void need(String field, long n) throws E {
        if (n < 0 || n > remaining()) {
            throw failure.at(field, "needs " + n + " bytes at offset " + pos + " but only " + remaining()
                    + " remain (truncated)");
        }
    }

    /** Moves past {@code n} bytes and returns the offset where they start. */
    protected int advance(String field, long n) throws E {
        need(field, n);
        int at = pos;
        pos += (int) n;
        return at;
    }

    /** The underlying array (for sub-readers over a slice of it). */
    protected byte[] data() {
        return data;
    }

    public int u8(String field) throws E {
        return data[advance(field, 1)] & 0xff;
    }

    public int u16(String field) throws E {
        int at = advance(field, 2);
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8;
    }

    public int u24(String field) throws E {
        int at = advance(field, 3);
        return (data[at] & 0xff) | (data[at + 1] & 0xff) << 8 | (data[at + 2] & 0xff) << 16;
    }

    public long u32(String field) throws E {
        int at = advance(field, 4);
        return (data[at] & 0xffL) | (data[at + 1] & 0xffL) << 8 | (data[at + 2] & 0xffL) << 16
                | (data[at + 3] & 0xffL) << 24;
    }

    public byte[] bytes(String field, long n) throws E {
        int at = advance(field, n);
        return Arrays.copyOfRange(data, at, at + (int) n);
    }
}
