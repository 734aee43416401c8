package dev.veil.protocol.e2ee;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.bouncycastle.crypto.hpke.HPKE;

/** Constants and small primitives of Veil e2ee v1 (docs/e2ee.md). */
public final class E2ee {

    public static final String VERSION = "v1";
    public static final String CONTENT_TYPE = "application/veil-e2ee";
    public static final String HEADER_VERSION = "Veil-E2EE";
    public static final String HEADER_MODEL = "Veil-Model";
    public static final String HEADER_NODE_KEY = "Veil-Node-Key";
    public static final String HEADER_STREAM = "Veil-Stream";

    public static final short KEM_ID = HPKE.kem_X25519_SHA256;
    public static final short KDF_ID = HPKE.kdf_HKDF_SHA256;
    public static final short AEAD_ID = HPKE.aead_AES_GCM256;
    public static final int ENC_LENGTH = 32;
    public static final int KEY_LENGTH = 32;
    public static final int NONCE_LENGTH = 12;
    public static final int TAG_LENGTH = 16;
    public static final int RESPONSE_NONCE_LENGTH = 32;
    public static final int HDR_LENGTH = 7;

    static final byte[] REQUEST_LABEL = ascii("veil e2ee v1 request");
    static final byte[] RESPONSE_LABEL = ascii("veil e2ee v1 response");
    static final byte[] CHUNK_LABEL = ascii("veil e2ee v1 chunk");
    public static final byte[] ATTESTATION_LABEL = ascii("veil e2ee v1 attestation");

    /** Frame flag: the final sealed frame. */
    public static final int FLAG_FINAL = 0x01;
    /** Frame flag: a clear, signed receipt frame. */
    public static final int FLAG_RECEIPT = 0x02;
    /** The largest frame payload accepted (a frame is one SSE event or one whole answer). */
    public static final int MAX_FRAME = 64 * 1024 * 1024;

    private static final HexFormat HEX = HexFormat.of();

    private E2ee() {
    }

    /** A fresh HPKE instance for the v1 suite, base mode. */
    public static HPKE hpke() {
        return new HPKE(HPKE.mode_base, KEM_ID, KDF_ID, AEAD_ID);
    }

    public static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            for (byte[] part : parts) {
                digest.update(part);
            }
            return digest.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    public static byte[] unhex(String hex) {
        return HEX.parseHex(hex);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static void u16(java.io.ByteArrayOutputStream out, int value) {
        out.write((value >>> 8) & 0xff);
        out.write(value & 0xff);
    }

    static void u32(java.io.ByteArrayOutputStream out, long value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift) & 0xff);
        }
    }

    static void u64(byte[] into, int offset, long value) {
        for (int i = 0; i < 8; i++) {
            into[offset + i] = (byte) (value >>> (56 - 8 * i));
        }
    }
}
