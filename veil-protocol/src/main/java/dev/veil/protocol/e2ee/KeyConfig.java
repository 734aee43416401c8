package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * A node's HPKE public key in the RFC 9458 §3.1 key configuration encoding, restricted to the v1 suite:
 * {@code key_id(1) || kem_id(2) || public_key(32) || len16(4) || kdf_id(2) || aead_id(2)}.
 */
public final class KeyConfig {

    public static final int LENGTH = 41;

    private final int keyId;
    private final byte[] publicKey;
    private final byte[] encoded;

    public KeyConfig(int keyId, byte[] publicKey) {
        if (keyId < 0 || keyId > 255) {
            throw new IllegalArgumentException("key_id is one byte");
        }
        if (publicKey.length != 32) {
            throw new IllegalArgumentException("an X25519 public key has 32 bytes");
        }
        this.keyId = keyId;
        this.publicKey = publicKey.clone();
        ByteArrayOutputStream out = new ByteArrayOutputStream(LENGTH);
        out.write(keyId);
        E2ee.u16(out, E2ee.KEM_ID);
        out.writeBytes(publicKey);
        E2ee.u16(out, 4);
        E2ee.u16(out, E2ee.KDF_ID);
        E2ee.u16(out, E2ee.AEAD_ID);
        this.encoded = out.toByteArray();
    }

    /**
     * Decodes a key configuration.
     *
     * @throws E2eeException.Malformed when the bytes are not a key configuration
     * @throws E2eeException.Unsupported when it does not offer the v1 suite
     */
    public static KeyConfig decode(byte[] bytes) throws E2eeException {
        if (bytes.length < 39) {
            throw new E2eeException.Malformed("a key configuration is at least 39 bytes");
        }
        int kem = ((bytes[1] & 0xff) << 8) | (bytes[2] & 0xff);
        if (kem != E2ee.KEM_ID) {
            throw new E2eeException.Unsupported("key configuration uses KEM " + kem + "; v1 needs 0x0020 (X25519)");
        }
        int suitesLength = ((bytes[35] & 0xff) << 8) | (bytes[36] & 0xff);
        if (suitesLength % 4 != 0 || bytes.length != 37 + suitesLength) {
            throw new E2eeException.Malformed("key configuration has a bad cipher suite list");
        }
        boolean offered = false;
        for (int at = 37; at < bytes.length; at += 4) {
            int kdf = ((bytes[at] & 0xff) << 8) | (bytes[at + 1] & 0xff);
            int aead = ((bytes[at + 2] & 0xff) << 8) | (bytes[at + 3] & 0xff);
            offered |= kdf == E2ee.KDF_ID && aead == E2ee.AEAD_ID;
        }
        if (!offered) {
            throw new E2eeException.Unsupported("key configuration does not offer HKDF-SHA256 with AES-256-GCM");
        }
        return new KeyConfig(bytes[0] & 0xff, Arrays.copyOfRange(bytes, 3, 35));
    }

    public int keyId() {
        return keyId;
    }

    public byte[] publicKey() {
        return publicKey.clone();
    }

    /** The RFC 9458 encoding. */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** The node key id: hex of the first 16 bytes of SHA-256(key_config). */
    public String nodeKeyId() {
        return E2ee.hex(Arrays.copyOf(E2ee.sha256(encoded), 16));
    }

    /** The {@code hdr} of a request to this key: key_id, kem, kdf, aead. */
    byte[] requestHeader() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(E2ee.HDR_LENGTH);
        out.write(keyId);
        E2ee.u16(out, E2ee.KEM_ID);
        E2ee.u16(out, E2ee.KDF_ID);
        E2ee.u16(out, E2ee.AEAD_ID);
        return out.toByteArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyConfig other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    @Override
    public String toString() {
        return "KeyConfig[" + nodeKeyId() + "]";
    }
}
