package dev.veil.protocol.e2ee;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;

/**
 * The client side of one e2ee request: the encrypted body to send, and the means to open its response. A sealed
 * request is used once; its HPKE context is never reused.
 */
public final class SealedRequest {

    private final byte[] body;
    private final HPKEContextWithEncapsulation context;
    private final RequestMeta meta;

    private SealedRequest(byte[] body, HPKEContextWithEncapsulation context, RequestMeta meta) {
        this.body = body;
        this.context = context;
        this.meta = meta;
    }

    /** Encrypts {@code plaintext} (the whole OpenAI JSON request) to {@code key}. */
    public static SealedRequest seal(KeyConfig key, RequestMeta meta, byte[] plaintext) {
        return seal(key, meta, plaintext, null);
    }

    /** As {@link #seal(KeyConfig, RequestMeta, byte[])} with a fixed ephemeral key: for worked examples and tests only. */
    public static SealedRequest seal(KeyConfig key, RequestMeta meta, byte[] plaintext, byte[] ephemeralIkm) {
        HPKE hpke = E2ee.hpke();
        byte[] hdr = key.requestHeader();
        byte[] info = meta.info(hdr);
        HPKEContextWithEncapsulation context;
        if (ephemeralIkm == null) {
            context = hpke.setupBaseS(hpke.deserializePublicKey(key.publicKey()), info);
        } else {
            AsymmetricCipherKeyPair ephemeral = hpke.deriveKeyPair(ephemeralIkm);
            context = hpke.setupBaseS(hpke.deserializePublicKey(key.publicKey()), info, ephemeral);
        }
        byte[] ct;
        try {
            ct = context.seal(new byte[0], plaintext);
        } catch (InvalidCipherTextException e) {
            throw new IllegalStateException("HPKE seal failed", e);
        }
        byte[] enc = context.getEncapsulation();
        byte[] body = new byte[hdr.length + enc.length + ct.length];
        System.arraycopy(hdr, 0, body, 0, hdr.length);
        System.arraycopy(enc, 0, body, hdr.length, enc.length);
        System.arraycopy(ct, 0, body, hdr.length + enc.length, ct.length);
        return new SealedRequest(body, context, meta);
    }

    /** {@code hdr || enc || ct}: the request body to send. */
    public byte[] body() {
        return body.clone();
    }

    public RequestMeta meta() {
        return meta;
    }

    /** An incremental opener for this request's response. */
    public ResponseOpener responseOpener() {
        return new ResponseOpener(context, context.getEncapsulation(), E2ee.sha256(body));
    }
}
