package dev.veil.protocol.gatewayauth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@value #HEADER} header a gateway sends on every call to a node:
 * {@code v1; kid=<key id>; t=<unix ms>; n=<nonce>; sig=<signature>}, all base64url without padding except the time.
 *
 * <p>The signature is {@code HMAC-SHA256(secret, "veil gateway request v1" 0x00 kid 0x00 t 0x00 n 0x00 METHOD 0x00
 * URI 0x00 SHA-256(body))}, where URI is the request target as sent (path and query) and the body digest is over the
 * exact bytes sent (an empty body for GET). The key id is the first 16 bytes of
 * {@code SHA-256("veil gateway key id v1" 0x00 secret)}: it lets the node find the secret without naming the
 * registration, and reveals nothing of the secret. A node accepts a signature whose time is within
 * {@link #MAX_SKEW_MS} of its clock and whose nonce it has not seen ({@link NonceWindow}).
 */
public final class GatewaySignature {

    /** The request header carrying the signature. */
    public static final String HEADER = "veil-gateway-signature";
    /** How far a signature's time may be from the node's clock, either way. */
    public static final long MAX_SKEW_MS = 60_000;
    /** The longest header value accepted; a real one is about 140 characters. */
    static final int MAX_HEADER_CHARS = 512;

    private static final byte[] CONTEXT = "veil gateway request v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_ID_CONTEXT = "veil gateway key id v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int NONCE_BYTES = 16;
    private static final int SIGNATURE_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder UNB64 = Base64.getUrlDecoder();
    private static final byte[] EMPTY_DIGEST = sha256(new byte[0]);

    private GatewaySignature() {
    }

    /** The key id naming {@code secret} in a signature. */
    public static String keyId(byte[] secret) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(KEY_ID_CONTEXT);
            byte[] digest = sha.digest(secret);
            return B64.encodeToString(java.util.Arrays.copyOf(digest, 16));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }

    /**
     * The header value signing one request.
     *
     * @param body the exact bytes sent, or null for none
     */
    public static String sign(byte[] secret, String method, String uri, byte[] body, long nowMillis) {
        byte[] nonceBytes = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonceBytes);
        String kid = keyId(secret);
        String nonce = B64.encodeToString(nonceBytes);
        byte[] mac = mac(secret, kid, nowMillis, nonce, method, uri, bodyDigest(body));
        return "v1; kid=" + kid + "; t=" + nowMillis + "; n=" + nonce + "; sig=" + B64.encodeToString(mac);
    }

    /** The SHA-256 of a body, as the signature covers it. */
    public static byte[] bodyDigest(byte[] body) {
        return body == null || body.length == 0 ? EMPTY_DIGEST.clone() : sha256(body);
    }

    /** A parsed header, not yet verified. */
    public record Presented(String keyId, long timeMillis, String nonce, byte[] signature) {

        /**
         * Whether the signature holds for {@code secret} over this request.
         *
         * @param bodyDigest {@link #bodyDigest(byte[])} of the body as received
         */
        public boolean verifies(byte[] secret, String method, String uri, byte[] bodyDigest) {
            return MessageDigest.isEqual(signature, mac(secret, keyId, timeMillis, nonce, method, uri, bodyDigest));
        }

        /** Whether the time is within {@link #MAX_SKEW_MS} of {@code nowMillis}. */
        public boolean fresh(long nowMillis) {
            return Math.abs(nowMillis - timeMillis) <= MAX_SKEW_MS;
        }

        @Override
        public String toString() {
            return "Presented[kid=" + keyId + " t=" + timeMillis + "]";
        }
    }

    /**
     * Parses a header value.
     *
     * @return the parts, or null when the value is missing, too long or not of the form {@link #HEADER} describes
     */
    public static Presented parse(String header) {
        if (header == null || header.length() > MAX_HEADER_CHARS) {
            return null;
        }
        String[] parts = header.split(";", -1);
        if (parts.length != 5 || !parts[0].trim().equals("v1")) {
            return null;
        }
        String kid = field(parts[1], "kid");
        String time = field(parts[2], "t");
        String nonce = field(parts[3], "n");
        String sig = field(parts[4], "sig");
        if (kid == null || time == null || nonce == null || sig == null || time.length() > 15
                || !time.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        try {
            byte[] nonceBytes = UNB64.decode(nonce);
            byte[] signature = UNB64.decode(sig);
            if (nonceBytes.length != NONCE_BYTES || signature.length != SIGNATURE_BYTES || UNB64.decode(kid).length != 16) {
                return null;
            }
            return new Presented(kid, Long.parseLong(time), nonce, signature);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String field(String part, String name) {
        String trimmed = part.trim();
        if (!trimmed.startsWith(name + "=")) {
            return null;
        }
        String value = trimmed.substring(name.length() + 1);
        return value.isEmpty() ? null : value;
    }

    private static byte[] mac(byte[] secret, String kid, long time, String nonce, String method, String uri,
                              byte[] bodyDigest) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(CONTEXT);
            for (String field : new String[] {kid, Long.toString(time), nonce, method, uri}) {
                mac.update(field.getBytes(StandardCharsets.UTF_8));
                mac.update((byte) 0);
            }
            return mac.doFinal(bodyDigest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is required on every Java platform", e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is required on every Java platform", e);
        }
    }
}
