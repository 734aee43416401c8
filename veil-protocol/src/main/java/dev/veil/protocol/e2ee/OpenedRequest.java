package dev.veil.protocol.e2ee;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;

/** The node side of one e2ee request: the decrypted body, and the means to seal its response. */
public final class OpenedRequest {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] plaintext;
    private final HPKEContext context;
    private final byte[] enc;
    private final byte[] requestHash;

    private OpenedRequest(byte[] plaintext, HPKEContext context, byte[] enc, byte[] requestHash) {
        this.plaintext = plaintext;
        this.context = context;
        this.enc = enc;
        this.requestHash = requestHash;
    }

    /**
     * Opens a request body addressed to {@code keys}.
     *
     * @param replay the replay guard of {@code keys}; a repeated encapsulated key is refused
     * @throws E2eeException.Malformed   when the body is not {@code hdr || enc || ct}
     * @throws E2eeException.Unsupported when {@code hdr} names another suite
     * @throws E2eeException.UnknownKey  when {@code hdr}'s key id is not {@code keys}'
     * @throws E2eeException.Replay      when {@code enc} was used before
     * @throws E2eeException.DecryptFailed when the ciphertext or the bound metadata does not match
     */
    public static OpenedRequest open(NodeKeyPair keys, ReplayGuard replay, RequestMeta meta, byte[] body)
            throws E2eeException {
        if (body.length < E2ee.HDR_LENGTH + E2ee.ENC_LENGTH + E2ee.TAG_LENGTH) {
            throw new E2eeException.Malformed("an e2ee request body is hdr (7) || enc (32) || ciphertext");
        }
        byte[] hdr = Arrays.copyOfRange(body, 0, E2ee.HDR_LENGTH);
        byte[] expected = keys.keyConfig().requestHeader();
        if (!Arrays.equals(Arrays.copyOfRange(hdr, 1, 7), Arrays.copyOfRange(expected, 1, 7))) {
            throw new E2eeException.Unsupported("the request's suite is not X25519 / HKDF-SHA256 / AES-256-GCM");
        }
        if (hdr[0] != expected[0]) {
            throw new E2eeException.UnknownKey();
        }
        byte[] enc = Arrays.copyOfRange(body, E2ee.HDR_LENGTH, E2ee.HDR_LENGTH + E2ee.ENC_LENGTH);
        byte[] ct = Arrays.copyOfRange(body, E2ee.HDR_LENGTH + E2ee.ENC_LENGTH, body.length);
        HPKE hpke = E2ee.hpke();
        HPKEContext context;
        byte[] plaintext;
        try {
            context = hpke.setupBaseR(enc, keys.pair(), meta.info(hdr));
            plaintext = context.open(new byte[0], ct);
        } catch (InvalidCipherTextException | IllegalArgumentException | IllegalStateException e) {
            // IllegalStateException: BouncyCastle refuses a small-order enc (all-zero X25519 output, RFC 9180 §7.1.4)
            throw new E2eeException.DecryptFailed("the request did not open: wrong key, tampered ciphertext, or changed "
                    + "model, path or stream flag", e);
        }
        // Checked after a successful open, so garbage cannot fill the replay set.
        if (!replay.firstUse(enc)) {
            throw new E2eeException.Replay();
        }
        return new OpenedRequest(plaintext, context, enc, E2ee.sha256(body));
    }

    /** The decrypted OpenAI JSON request. */
    public byte[] plaintext() {
        return plaintext.clone();
    }

    /** SHA-256 of the request body as received, for the receipt. */
    public byte[] requestHash() {
        return requestHash.clone();
    }

    /** A sealer for the response with a fresh random response nonce. */
    public ResponseSealer responseSealer() {
        byte[] nonce = new byte[E2ee.RESPONSE_NONCE_LENGTH];
        RANDOM.nextBytes(nonce);
        return responseSealer(nonce);
    }

    /** A sealer with a given response nonce: for worked examples and tests only. */
    public ResponseSealer responseSealer(byte[] responseNonce) {
        return new ResponseSealer(ResponseKeys.derive(context, enc, responseNonce), responseNonce);
    }
}
