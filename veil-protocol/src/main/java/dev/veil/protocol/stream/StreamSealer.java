package dev.veil.protocol.stream;

import java.security.GeneralSecurityException;
import java.util.function.Consumer;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * Push-style encryption of one {@link SegmentedAead} stream: feed plaintext with {@link #update}, end with
 * {@link #finish}; ciphertext comes out through the sink as header and whole segments. Holds at most one segment of
 * plaintext. Not thread-safe. Usable on an event loop (it does no I/O).
 */
public final class StreamSealer {

    private final Consumer<byte[]> sink;
    private final SecretKeySpec key;
    private final byte[] prefix;
    private final Cipher cipher = SegmentedAead.gcm();
    private final byte[] segment = new byte[SegmentedAead.SEGMENT_SIZE];
    private int filled;
    private long index;
    private long plaintextBytes;
    private boolean finished;

    /**
     * Starts a stream and emits its header at once.
     *
     * @param key  the 32-byte stream key
     * @param aad  associated data the stream is bound to (e.g. a file id)
     * @param sink receives the ciphertext, in order
     */
    public StreamSealer(byte[] key, byte[] aad, Consumer<byte[]> sink) {
        this.sink = sink;
        byte[] salt = SegmentedAead.random(SegmentedAead.SALT_LENGTH);
        this.prefix = SegmentedAead.random(SegmentedAead.NONCE_PREFIX_LENGTH);
        this.key = SegmentedAead.segmentKey(key, salt, aad);
        byte[] header = new byte[SegmentedAead.HEADER_LENGTH];
        System.arraycopy(SegmentedAead.MAGIC, 0, header, 0, 4);
        System.arraycopy(salt, 0, header, 4, SegmentedAead.SALT_LENGTH);
        System.arraycopy(prefix, 0, header, 4 + SegmentedAead.SALT_LENGTH, SegmentedAead.NONCE_PREFIX_LENGTH);
        sink.accept(header);
    }

    public void update(byte[] data) {
        update(data, 0, data.length);
    }

    public void update(byte[] data, int offset, int length) {
        if (finished) {
            throw new IllegalStateException("stream already finished");
        }
        plaintextBytes += length;
        while (length > 0) {
            if (filled == segment.length) {
                // Only emit a full segment once more data follows: the final segment must be the last one.
                emit(false);
            }
            int n = Math.min(length, segment.length - filled);
            System.arraycopy(data, offset, segment, filled, n);
            filled += n;
            offset += n;
            length -= n;
        }
    }

    /** Emits the final segment. */
    public void finish() {
        if (finished) {
            return;
        }
        emit(true);
        finished = true;
    }

    /** Plaintext bytes taken so far. */
    public long plaintextBytes() {
        return plaintextBytes;
    }

    private void emit(boolean last) {
        byte[] out = new byte[5 + filled + SegmentedAead.TAG_LENGTH];
        try {
            cipher.init(Cipher.ENCRYPT_MODE, key, SegmentedAead.nonce(prefix, index, last));
            int n = cipher.doFinal(segment, 0, filled, out, 5);
            out[0] = (byte) (last ? SegmentedAead.FLAG_FINAL : 0);
            out[1] = (byte) (n >>> 24);
            out[2] = (byte) (n >>> 16);
            out[3] = (byte) (n >>> 8);
            out[4] = (byte) n;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("segment encryption failed", e);
        }
        index++;
        filled = 0;
        sink.accept(out);
    }
}
