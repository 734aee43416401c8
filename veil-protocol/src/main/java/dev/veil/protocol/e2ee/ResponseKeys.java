package dev.veil.protocol.e2ee;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.hpke.HPKEContext;

/**
 * The response key and nonce base derived from a request's HPKE context and a response nonce (docs/e2ee.md §5).
 *
 * <p>Not thread-safe: one instance serves one response, frame after frame, on one side. It keeps one AES-GCM
 * {@link Cipher} for all frames, re-initialised with each frame's nonce: looking the cipher up per frame cost about
 * as much as sealing a short frame.
 */
final class ResponseKeys {

    private final SecretKeySpec key;
    private final byte[] nonceBase;
    private Cipher cipher;

    private ResponseKeys(byte[] key, byte[] nonceBase) {
        this.key = new SecretKeySpec(key, "AES");
        this.nonceBase = nonceBase;
    }

    static ResponseKeys derive(HPKEContext context, byte[] enc, byte[] responseNonce) {
        byte[] secret = context.export(E2ee.RESPONSE_LABEL, E2ee.KEY_LENGTH);
        byte[] salt = new byte[enc.length + responseNonce.length];
        System.arraycopy(enc, 0, salt, 0, enc.length);
        System.arraycopy(responseNonce, 0, salt, enc.length, responseNonce.length);
        byte[] prk = Hkdf.extract(salt, secret);
        return new ResponseKeys(Hkdf.expand(prk, E2ee.ascii("key"), E2ee.KEY_LENGTH),
                Hkdf.expand(prk, E2ee.ascii("nonce"), E2ee.NONCE_LENGTH));
    }

    byte[] seal(long index, int flags, byte[] plaintext) {
        try {
            Cipher cipher = cipher();
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(E2ee.TAG_LENGTH * 8, nonce(index)));
            cipher.updateAAD(aad(index, flags));
            return cipher.doFinal(plaintext);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is unavailable", e);
        }
    }

    byte[] open(long index, int flags, byte[] ciphertext) throws AEADBadTagException {
        try {
            Cipher cipher = cipher();
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(E2ee.TAG_LENGTH * 8, nonce(index)));
            cipher.updateAAD(aad(index, flags));
            return cipher.doFinal(ciphertext);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new AEADBadTagException("frame did not open");
        }
    }

    private Cipher cipher() throws GeneralSecurityException {
        if (cipher == null) {
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        }
        return cipher;
    }

    private byte[] nonce(long index) {
        byte[] nonce = nonceBase.clone();
        byte[] counter = new byte[8];
        E2ee.u64(counter, 0, index);
        for (int i = 0; i < 8; i++) {
            nonce[4 + i] ^= counter[i];
        }
        return nonce;
    }

    private static byte[] aad(long index, int flags) {
        byte[] label = E2ee.CHUNK_LABEL;
        byte[] aad = new byte[label.length + 9];
        System.arraycopy(label, 0, aad, 0, label.length);
        E2ee.u64(aad, label.length, index);
        aad[aad.length - 1] = (byte) flags;
        return aad;
    }
}
