package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.EdECPoint;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.EdECPublicKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A second implementation of docs/e2ee.md written from the page, for tests: JDK only (XDH, HMAC, AES-GCM, Ed25519),
 * no BouncyCastle and no production class. It implements RFC 9180 base mode for DHKEM(X25519, HKDF-SHA256) /
 * HKDF-SHA256 / AES-256-GCM itself, so the worked example's values are checked by code that shares nothing with the
 * code that produced them.
 */
final class ReferenceE2ee {

    static final byte[] KEM_SUITE = concat(ascii("KEM"), new byte[] {0x00, 0x20});
    static final byte[] HPKE_SUITE = concat(ascii("HPKE"), new byte[] {0x00, 0x20, 0x00, 0x01, 0x00, 0x02});

    private ReferenceE2ee() {
    }

    // ------------------------------------------------------------------ HKDF (RFC 5869) and RFC 9180 labels

    static byte[] hmac(byte[] key, byte[]... data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[32] : key, "HmacSHA256"));
            for (byte[] d : data) {
                mac.update(d);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] extract(byte[] salt, byte[] ikm) {
        return hmac(salt, ikm);
    }

    static byte[] expand(byte[] prk, byte[] info, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] t = new byte[0];
        for (int i = 1; out.size() < length; i++) {
            t = hmac(prk, t, info, new byte[] {(byte) i});
            out.writeBytes(t);
        }
        return Arrays.copyOf(out.toByteArray(), length);
    }

    static byte[] labeledExtract(byte[] suite, byte[] salt, String label, byte[] ikm) {
        return extract(salt, concat(ascii("HPKE-v1"), suite, ascii(label), ikm));
    }

    static byte[] labeledExpand(byte[] suite, byte[] prk, String label, byte[] info, int length) {
        return expand(prk, concat(new byte[] {(byte) (length >>> 8), (byte) length}, ascii("HPKE-v1"), suite,
                ascii(label), info), length);
    }

    // ------------------------------------------------------------------ X25519 (JDK XDH)

    /** RFC 9180 §7.1.3 DeriveKeyPair for X25519: the private key as the RFC lists it (not clamped). */
    static byte[] deriveSecretKey(byte[] ikm) {
        byte[] dkpPrk = labeledExtract(KEM_SUITE, new byte[0], "dkp_prk", ikm);
        return labeledExpand(KEM_SUITE, dkpPrk, "sk", new byte[0], 32);
    }

    static byte[] x25519(byte[] scalar, byte[] u) {
        try {
            KeyFactory kf = KeyFactory.getInstance("XDH");
            PrivateKey priv = kf.generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
            byte[] le = u.clone();
            le[31] &= 0x7f;
            PublicKey pub = kf.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, littleEndian(le)));
            KeyAgreement ka = KeyAgreement.getInstance("XDH");
            ka.init(priv);
            ka.doPhase(pub, true);
            return ka.generateSecret();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] publicKey(byte[] secretKey) {
        byte[] basePoint = new byte[32];
        basePoint[0] = 9;
        return x25519(secretKey, basePoint);
    }

    // ------------------------------------------------------------------ HPKE base mode (RFC 9180 §5.1)

    /** The sender's HPKE context, with every intermediate value for the worked example. */
    record Context(byte[] skE, byte[] enc, byte[] sharedSecret, byte[] keyScheduleContext, byte[] secret, byte[] key,
                   byte[] baseNonce, byte[] exporterSecret) {

        byte[] nonce(long seq) {
            byte[] n = baseNonce.clone();
            for (int i = 0; i < 8; i++) {
                n[11 - i] ^= (byte) (seq >>> (8 * i));
            }
            return n;
        }

        byte[] seal(long seq, byte[] aad, byte[] pt) {
            return aesGcm(Cipher.ENCRYPT_MODE, key, nonce(seq), aad, pt);
        }

        byte[] open(long seq, byte[] aad, byte[] ct) {
            return aesGcm(Cipher.DECRYPT_MODE, key, nonce(seq), aad, ct);
        }

        byte[] export(byte[] exporterContext, int length) {
            return labeledExpand(HPKE_SUITE, exporterSecret, "sec", exporterContext, length);
        }
    }

    static Context setupBaseS(byte[] pkR, byte[] info, byte[] ikmE) {
        byte[] skE = deriveSecretKey(ikmE);
        byte[] enc = publicKey(skE);
        byte[] dh = x25519(skE, pkR);
        byte[] eaePrk = labeledExtract(KEM_SUITE, new byte[0], "eae_prk", dh);
        byte[] sharedSecret = labeledExpand(KEM_SUITE, eaePrk, "shared_secret", concat(enc, pkR), 32);
        return keySchedule(skE, enc, sharedSecret, info);
    }

    static Context setupBaseR(byte[] enc, byte[] skR, byte[] info) {
        byte[] pkR = publicKey(skR);
        byte[] dh = x25519(skR, enc);
        byte[] eaePrk = labeledExtract(KEM_SUITE, new byte[0], "eae_prk", dh);
        byte[] sharedSecret = labeledExpand(KEM_SUITE, eaePrk, "shared_secret", concat(enc, pkR), 32);
        return keySchedule(null, enc, sharedSecret, info);
    }

    private static Context keySchedule(byte[] skE, byte[] enc, byte[] sharedSecret, byte[] info) {
        byte[] pskIdHash = labeledExtract(HPKE_SUITE, new byte[0], "psk_id_hash", new byte[0]);
        byte[] infoHash = labeledExtract(HPKE_SUITE, new byte[0], "info_hash", info);
        byte[] ksc = concat(new byte[] {0x00}, pskIdHash, infoHash);
        byte[] secret = labeledExtract(HPKE_SUITE, sharedSecret, "secret", new byte[0]);
        byte[] key = labeledExpand(HPKE_SUITE, secret, "key", ksc, 32);
        byte[] baseNonce = labeledExpand(HPKE_SUITE, secret, "base_nonce", ksc, 12);
        byte[] exporterSecret = labeledExpand(HPKE_SUITE, secret, "exp", ksc, 32);
        return new Context(skE, enc, sharedSecret, ksc, secret, key, baseNonce, exporterSecret);
    }

    // ------------------------------------------------------------------ Veil e2ee v1 (docs/e2ee.md)

    static byte[] keyConfig(int keyId, byte[] pkR) {
        return concat(new byte[] {(byte) keyId, 0x00, 0x20}, pkR, new byte[] {0x00, 0x04, 0x00, 0x01, 0x00, 0x02});
    }

    static String nodeKeyId(byte[] keyConfig) {
        return java.util.HexFormat.of().formatHex(Arrays.copyOf(sha256(keyConfig), 16));
    }

    static byte[] hdr(int keyId) {
        return new byte[] {(byte) keyId, 0x00, 0x20, 0x00, 0x01, 0x00, 0x02};
    }

    static byte[] info(byte[] hdr, String path, String model, boolean stream) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] m = model.getBytes(StandardCharsets.UTF_8);
        return concat(ascii("veil e2ee v1 request"), new byte[] {0x00}, hdr, u16(p.length), p, u16(m.length), m,
                new byte[] {(byte) (stream ? 1 : 0)});
    }

    static byte[] reportData(byte[] keyConfig, byte[] signingKey, byte[] nonce) {
        return concat(sha256(concat(ascii("veil e2ee v1 attestation"), new byte[] {0x00}, u16(keyConfig.length),
                keyConfig, u16(signingKey.length), signingKey)), nonce);
    }

    /** The response keys of docs/e2ee.md §5. */
    record ResponseKeys(byte[] secret, byte[] salt, byte[] prk, byte[] key, byte[] nonceBase) {

        byte[] nonce(long i) {
            byte[] n = nonceBase.clone();
            for (int b = 0; b < 8; b++) {
                n[11 - b] ^= (byte) (i >>> (8 * b));
            }
            return n;
        }

        static byte[] aad(long i, int flags) {
            byte[] counter = new byte[8];
            for (int b = 0; b < 8; b++) {
                counter[7 - b] = (byte) (i >>> (8 * b));
            }
            return concat(ascii("veil e2ee v1 chunk"), counter, new byte[] {(byte) flags});
        }

        byte[] frame(long i, int flags, byte[] chunk) {
            byte[] payload = aesGcm(Cipher.ENCRYPT_MODE, key, nonce(i), aad(i, flags), chunk);
            return concat(new byte[] {(byte) flags}, u32(payload.length), payload);
        }

        byte[] openFrame(long i, byte[] frame) {
            int flags = frame[0] & 0xff;
            int length = ((frame[1] & 0xff) << 24) | ((frame[2] & 0xff) << 16) | ((frame[3] & 0xff) << 8) | (frame[4] & 0xff);
            if (length != frame.length - 5) {
                throw new IllegalArgumentException("frame length");
            }
            return aesGcm(Cipher.DECRYPT_MODE, key, nonce(i), aad(i, flags), Arrays.copyOfRange(frame, 5, frame.length));
        }
    }

    static ResponseKeys responseKeys(Context request, byte[] responseNonce) {
        byte[] secret = request.export(ascii("veil e2ee v1 response"), 32);
        byte[] salt = concat(request.enc(), responseNonce);
        byte[] prk = extract(salt, secret);
        return new ResponseKeys(secret, salt, prk, expand(prk, ascii("key"), 32), expand(prk, ascii("nonce"), 12));
    }

    // ------------------------------------------------------------------ Ed25519 (JDK)

    static byte[] ed25519Sign(byte[] seed, byte[] message) {
        try {
            PrivateKey key = KeyFactory.getInstance("Ed25519")
                    .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed));
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            s.update(message);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean ed25519Verify(byte[] publicKey, byte[] message, byte[] signature) {
        try {
            byte[] le = publicKey.clone();
            boolean xOdd = (le[31] & 0x80) != 0;
            le[31] &= 0x7f;
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(
                    new EdECPublicKeySpec(NamedParameterSpec.ED25519, new EdECPoint(xOdd, littleEndian(le))));
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(message);
            return s.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ bytes

    static byte[] aesGcm(int mode, byte[] key, byte[] nonce, byte[] aad, byte[] data) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            return c.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] sha384(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-384").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] u16(int n) {
        return new byte[] {(byte) (n >>> 8), (byte) n};
    }

    static byte[] u32(int n) {
        return new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static BigInteger littleEndian(byte[] le) {
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return new BigInteger(1, be);
    }
}
