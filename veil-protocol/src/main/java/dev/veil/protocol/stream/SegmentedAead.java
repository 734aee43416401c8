package dev.veil.protocol.stream;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Veil's streaming AEAD ("VSA1"): the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár) over AES-256-GCM with
 * 64 KiB segments, so a file of any size is encrypted and decrypted with one segment in memory. The layout is the one
 * of Tink's AES-GCM-HKDF streaming AEAD, with a length-prefixed segment framing so that streams can be concatenated:
 *
 * <pre>
 * stream  = header segment* final-segment
 * header  = "VSA1" (4 bytes) || salt (32 bytes) || nonce_prefix (7 bytes)
 * segment = flags (1 byte: 0x00, or 0x01 on the final segment) || length (u32 big-endian, of the ciphertext)
 *           || ciphertext (AES-256-GCM of at most 65536 plaintext bytes, followed by its 16-byte tag)
 * key     = HKDF-SHA256(ikm = stream key, salt = salt, info = "veil stream v1" || aad, length 32)
 * nonce   = nonce_prefix (7) || segment index (u32 big-endian, from 0) || flags (1)
 * </pre>
 *
 * Reordering, dropping or duplicating segments, flipping the final flag, truncating the stream and moving a stream to
 * another {@code aad} all fail authentication. Every segment but the final one is full (65536 plaintext bytes); the
 * final segment may be empty.
 */
public final class SegmentedAead {

    public static final byte[] MAGIC = "VSA1".getBytes(StandardCharsets.US_ASCII);
    public static final int SALT_LENGTH = 32;
    public static final int NONCE_PREFIX_LENGTH = 7;
    public static final int HEADER_LENGTH = MAGIC.length + SALT_LENGTH + NONCE_PREFIX_LENGTH;
    public static final int SEGMENT_SIZE = 64 * 1024;
    public static final int TAG_LENGTH = 16;
    public static final int KEY_LENGTH = 32;
    public static final int FLAG_FINAL = 0x01;
    static final byte[] INFO = "veil stream v1".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SegmentedAead() {
    }

    /** A fresh random 32-byte key. */
    public static byte[] newKey() {
        return random(KEY_LENGTH);
    }

    public static byte[] random(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** HKDF-SHA256 (RFC 5869). */
    public static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt == null || salt.length == 0 ? new byte[32] : salt, "HmacSHA256"));
            byte[] prk = mac.doFinal(ikm);
            mac.init(new SecretKeySpec(prk, "HmacSHA256"));
            byte[] out = new byte[length];
            byte[] previous = new byte[0];
            int written = 0;
            for (int counter = 1; written < length; counter++) {
                mac.update(previous);
                mac.update(info);
                mac.update((byte) counter);
                previous = mac.doFinal();
                int n = Math.min(previous.length, length - written);
                System.arraycopy(previous, 0, out, written, n);
                written += n;
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static SecretKeySpec segmentKey(byte[] key, byte[] salt, byte[] aad) {
        if (key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("stream keys are 32 bytes");
        }
        return new SecretKeySpec(hkdf(key, salt, concat(INFO, aad), KEY_LENGTH), "AES");
    }

    static GCMParameterSpec nonce(byte[] prefix, long index, boolean last) {
        if (index > 0xFFFF_FFFFL) {
            throw new IllegalStateException("stream too long");
        }
        byte[] nonce = new byte[12];
        System.arraycopy(prefix, 0, nonce, 0, NONCE_PREFIX_LENGTH);
        nonce[7] = (byte) (index >>> 24);
        nonce[8] = (byte) (index >>> 16);
        nonce[9] = (byte) (index >>> 8);
        nonce[10] = (byte) index;
        nonce[11] = (byte) (last ? FLAG_FINAL : 0);
        return new GCMParameterSpec(TAG_LENGTH * 8, nonce);
    }

    static Cipher gcm() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
