package dev.veil.protocol.stream;

import java.io.IOException;
import java.io.InputStream;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decrypts one {@link SegmentedAead} stream as it is read, one segment in memory. Every byte handed out has been
 * authenticated; a stream that ends before its final segment, or whose bytes were changed, fails with
 * {@link StreamIntegrityException} (an {@link IOException}) instead of returning data.
 */
public final class OpeningInputStream extends InputStream {

    private final InputStream in;
    private final byte[] key;
    private final byte[] aad;
    private final boolean requireEnd;
    private final boolean closeUnderlying;
    private final Cipher cipher = SegmentedAead.gcm();
    private SecretKeySpec segmentKey;
    private byte[] prefix;
    private byte[] plain = new byte[0];
    private int position;
    private int limit;
    private long index;
    private boolean ended;

    /**
     * @param in         the ciphertext
     * @param key        the 32-byte stream key
     * @param aad        the associated data the stream was sealed with
     * @param requireEnd whether the underlying stream must end right after the final segment (true for a file holding
     *                   one stream; false to read one stream of several written one after the other)
     */
    public OpeningInputStream(InputStream in, byte[] key, byte[] aad, boolean requireEnd) {
        this(in, key, aad, requireEnd, true);
    }

    /** As above; {@code closeUnderlying} false leaves {@code in} open on {@link #close()}. */
    public OpeningInputStream(InputStream in, byte[] key, byte[] aad, boolean requireEnd, boolean closeUnderlying) {
        this.in = in;
        this.key = key.clone();
        this.aad = aad.clone();
        this.requireEnd = requireEnd;
        this.closeUnderlying = closeUnderlying;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (position == limit) {
            if (ended) {
                return -1;
            }
            nextSegment();
        }
        int n = Math.min(len, limit - position);
        System.arraycopy(plain, position, b, off, n);
        position += n;
        return n;
    }

    private void nextSegment() throws IOException {
        if (segmentKey == null) {
            byte[] header = readFully(SegmentedAead.HEADER_LENGTH, "header");
            if (!Arrays.equals(Arrays.copyOf(header, 4), SegmentedAead.MAGIC)) {
                throw new StreamIntegrityException("not a Veil encrypted stream (bad magic)");
            }
            byte[] salt = Arrays.copyOfRange(header, 4, 4 + SegmentedAead.SALT_LENGTH);
            prefix = Arrays.copyOfRange(header, 4 + SegmentedAead.SALT_LENGTH, SegmentedAead.HEADER_LENGTH);
            segmentKey = SegmentedAead.segmentKey(key, salt, aad);
        }
        byte[] frame = readFully(5, "segment header");
        int flags = frame[0] & 0xff;
        if ((flags & ~SegmentedAead.FLAG_FINAL) != 0) {
            throw new StreamIntegrityException("unknown segment flags");
        }
        long length = ((frame[1] & 0xffL) << 24) | ((frame[2] & 0xffL) << 16) | ((frame[3] & 0xffL) << 8) | (frame[4] & 0xffL);
        if (length < SegmentedAead.TAG_LENGTH || length > SegmentedAead.SEGMENT_SIZE + SegmentedAead.TAG_LENGTH) {
            throw new StreamIntegrityException("segment length out of range");
        }
        boolean last = flags == SegmentedAead.FLAG_FINAL;
        if (!last && length != SegmentedAead.SEGMENT_SIZE + SegmentedAead.TAG_LENGTH) {
            throw new StreamIntegrityException("short segment before the final one");
        }
        byte[] ct = readFully((int) length, "segment");
        try {
            cipher.init(Cipher.DECRYPT_MODE, segmentKey, SegmentedAead.nonce(prefix, index, last));
            plain = cipher.doFinal(ct);
        } catch (GeneralSecurityException e) {
            throw new StreamIntegrityException("segment " + index + " failed authentication (tampered, reordered, or wrong key)");
        }
        index++;
        position = 0;
        limit = plain.length;
        if (last) {
            ended = true;
            if (requireEnd && in.read() != -1) {
                throw new StreamIntegrityException("data after the final segment");
            }
        }
    }

    private byte[] readFully(int length, String what) throws IOException {
        byte[] out = new byte[length];
        int read = 0;
        while (read < length) {
            int n = in.read(out, read, length - read);
            if (n < 0) {
                if (read == 0 && what.equals("header") && index == 0 && segmentKey == null) {
                    throw new StreamIntegrityException("empty input where an encrypted stream was expected");
                }
                throw new StreamIntegrityException("truncated: the stream ended inside its " + what
                        + " before the final segment");
            }
            read += n;
        }
        return out;
    }

    /** Whether the final segment has been read (all plaintext was authenticated as complete). */
    public boolean complete() {
        return ended;
    }

    @Override
    public void close() throws IOException {
        if (closeUnderlying) {
            in.close();
        }
    }

    /** The ciphertext is not intact: truncated, changed, reordered, or opened with the wrong key. */
    public static final class StreamIntegrityException extends IOException {
        public StreamIntegrityException(String message) {
            super(message);
        }
    }
}
