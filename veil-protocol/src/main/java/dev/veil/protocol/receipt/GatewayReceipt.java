package dev.veil.protocol.receipt;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * One signed gateway receipt: the receipt's exact bytes as sent (compact JSON, ASCII only) and the gateway's detached
 * Ed25519 signature over exactly those bytes. A response carries it as two headers, {@value #HEADER} (the JSON) and
 * {@value #SIGNATURE_HEADER} (the signature, unpadded base64url); a stream also ends with two SSE comment lines,
 * {@code : veil-receipt <json>} and {@code : veil-receipt-signature <signature>}, whose receipt adds the token counts.
 * The signing key is the gateway's receipt key, published in its transparency log as a {@code receipt_key} entry and
 * at {@code GET /v1/transparency/receipt-key}; the receipt names it by {@code key_id} (see {@link #keyId}).
 *
 * @param json      the receipt's bytes exactly as sent
 * @param signature the 64-byte Ed25519 signature over {@code json}
 */
public record GatewayReceipt(byte[] json, byte[] signature) {

    /** The response header with the receipt's JSON. */
    public static final String HEADER = "x-veil-receipt";
    /** The response header with the receipt's signature. */
    public static final String SIGNATURE_HEADER = "x-veil-receipt-signature";
    /**
     * The request header asking the gateway to sign the answer's receipt ({@code true}); without it the receipt comes
     * unsigned, since signing costs the gateway about 40 µs of CPU per answer.
     */
    public static final String SIGN_REQUEST_HEADER = "x-veil-sign-receipt";
    /** How the SSE comment line that carries a stream's closing receipt begins. */
    public static final String COMMENT = ": veil-receipt ";
    /** How the SSE comment line that carries the closing receipt's signature begins. */
    public static final String SIGNATURE_COMMENT = ": veil-receipt-signature ";
    /** The receipt format's version ({@code "v"}). */
    public static final int VERSION = 2;

    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder B64U = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64U_DECODER = Base64.getUrlDecoder();
    private static final HexFormat HEX = HexFormat.of();
    /** A receipt header is a few hundred bytes; anything far larger is refused before it is parsed. */
    private static final int MAX_JSON = 16 * 1024;

    public GatewayReceipt {
        json = json.clone();
        signature = signature.clone();
    }

    /** Signs {@code json} (the exact bytes that will be sent) with the receipt key. */
    public static GatewayReceipt sign(byte[] json, SigningKey key) {
        return new GatewayReceipt(json, key.sign(json));
    }

    /**
     * A receipt key's id: the first 8 bytes of the SHA-256 of its raw 32-byte Ed25519 public key, in lowercase hex. It
     * only picks the published key to verify with; the signature is what proves the receipt.
     */
    public static String keyId(byte[] publicKey) {
        return HEX.formatHex(E2ee.sha256(publicKey), 0, 8);
    }

    /** The SHA-256 of {@code body} in lowercase hex, as a receipt's {@code body_sha256}. */
    public static String bodySha256(byte[] body) {
        return HEX.formatHex(E2ee.sha256(body));
    }

    /** The signature as sent: unpadded base64url. */
    public String signatureText() {
        return B64U.encodeToString(signature);
    }

    /** The receipt's JSON as text. */
    public String text() {
        return new String(json, StandardCharsets.US_ASCII);
    }

    @Override
    public byte[] json() {
        return json.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /**
     * A receipt from the response headers {@value #HEADER} and {@value #SIGNATURE_HEADER} (not verified yet).
     *
     * @throws InvalidReceipt either header is missing or the signature is not base64url
     */
    public static GatewayReceipt fromHeaders(String receipt, String signature) throws InvalidReceipt {
        if (receipt == null || receipt.isEmpty()) {
            throw new InvalidReceipt("the response carries no " + HEADER + " header");
        }
        if (signature == null || signature.isEmpty()) {
            throw new InvalidReceipt("the response carries no " + SIGNATURE_HEADER + " header: the receipt is unsigned");
        }
        return of(receipt, signature);
    }

    /**
     * The closing receipt of a stream from the stream's last bytes: the last {@code : veil-receipt} comment line and
     * the {@code : veil-receipt-signature} line that follows it (not verified yet).
     *
     * @throws InvalidReceipt the stream does not end with a signed receipt
     */
    public static GatewayReceipt fromStreamTail(String tail) throws InvalidReceipt {
        int at = tail.lastIndexOf("\n" + COMMENT);
        int start = at >= 0 ? at + 1 : tail.startsWith(COMMENT) ? 0 : -1;
        if (start < 0) {
            throw new InvalidReceipt("the stream does not end with a veil-receipt comment");
        }
        int lineEnd = tail.indexOf('\n', start);
        if (lineEnd < 0 || !tail.startsWith(SIGNATURE_COMMENT, lineEnd + 1)) {
            throw new InvalidReceipt("the stream's closing receipt has no veil-receipt-signature line: it is unsigned");
        }
        int signatureEnd = tail.indexOf('\n', lineEnd + 1);
        if (signatureEnd < 0 || !tail.substring(signatureEnd).isBlank()) {
            throw new InvalidReceipt("the stream's closing receipt is not the end of the stream");
        }
        return of(tail.substring(start + COMMENT.length(), lineEnd),
                tail.substring(lineEnd + 1 + SIGNATURE_COMMENT.length(), signatureEnd));
    }

    private static GatewayReceipt of(String receipt, String signature) throws InvalidReceipt {
        if (receipt.length() > MAX_JSON) {
            throw new InvalidReceipt("the receipt is larger than " + MAX_JSON + " bytes");
        }
        byte[] sig;
        try {
            sig = B64U_DECODER.decode(signature.strip());
        } catch (IllegalArgumentException e) {
            throw new InvalidReceipt("the receipt signature is not unpadded base64url");
        }
        return new GatewayReceipt(receipt.getBytes(StandardCharsets.UTF_8), sig);
    }

    /** Whether the signature verifies with the raw Ed25519 receipt key {@code publicKey}. */
    public boolean verifies(byte[] publicKey) {
        return SigningKey.verify(publicKey, json, signature);
    }

    /**
     * Verifies the receipt as a client must: the signature with the receipt key {@code publicKey}, the receipt's
     * {@code key_id} naming that key, its {@code body_sha256} equal to the SHA-256 of {@code sentBody} (the exact
     * bytes the client sent), and, when {@code requestId} is not null, its {@code request_id} equal to it.
     *
     * @return what the receipt states
     * @throws InvalidReceipt any check failed; the message names it
     */
    public Claims verify(byte[] publicKey, byte[] sentBody, String requestId) throws InvalidReceipt {
        if (!verifies(publicKey)) {
            throw new InvalidReceipt("the receipt signature does not verify with the gateway's receipt key");
        }
        Claims claims = claims();
        if (!claims.keyId().equals(keyId(publicKey))) {
            throw new InvalidReceipt("the receipt names receipt key " + claims.keyId() + ", not the one it verified with");
        }
        if (!MessageDigest.isEqual(HEX.parseHex(claims.bodySha256()), E2ee.sha256(sentBody))) {
            throw new InvalidReceipt("the receipt's body_sha256 is not the hash of the request body that was sent");
        }
        if (requestId != null && !requestId.equals(claims.requestId())) {
            throw new InvalidReceipt("the receipt names another request id than the response");
        }
        return claims;
    }

    /**
     * The members a client checks, parsed but not verified.
     *
     * @throws InvalidReceipt not a version-2 receipt object with {@code key_id}, {@code request_id},
     *                        {@code body_sha256}, {@code route} and {@code mode}
     */
    public Claims claims() throws InvalidReceipt {
        int version = -1;
        String keyId = null;
        String requestId = null;
        String bodySha256 = null;
        String route = null;
        String mode = null;
        String nodeKeyId = null;
        long prompt = -1;
        long completion = -1;
        boolean estimated = false;
        try (JsonParser p = JSON.createParser(json)) {
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new InvalidReceipt("the receipt is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "v" -> version = p.getIntValue();
                    case "key_id" -> keyId = text(p, value);
                    case "request_id" -> requestId = text(p, value);
                    case "body_sha256" -> bodySha256 = text(p, value);
                    case "route" -> route = text(p, value);
                    case "mode" -> mode = text(p, value);
                    case "usage_estimated" -> estimated = value == JsonToken.VALUE_TRUE;
                    case "node" -> nodeKeyId = member(p, value, "node_key_id");
                    case "tokens" -> {
                        if (value != JsonToken.START_OBJECT) {
                            throw new InvalidReceipt("the receipt's tokens is not an object");
                        }
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String name = p.currentName();
                            p.nextToken();
                            if (name.equals("prompt")) {
                                prompt = p.getLongValue();
                            } else if (name.equals("completion")) {
                                completion = p.getLongValue();
                            } else {
                                p.skipChildren();
                            }
                        }
                        if (prompt < 0 || completion < 0) {
                            throw new InvalidReceipt("the receipt's tokens need prompt and completion counts");
                        }
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new InvalidReceipt("the receipt has data after its JSON object");
            }
        } catch (IOException | RuntimeException e) {
            throw new InvalidReceipt("the receipt is not valid JSON");
        }
        if (version != VERSION) {
            throw new InvalidReceipt("the receipt has version " + version + "; this client reads version " + VERSION);
        }
        if (keyId == null || requestId == null || bodySha256 == null || route == null || mode == null) {
            throw new InvalidReceipt("the receipt misses key_id, request_id, body_sha256, route or mode");
        }
        if (bodySha256.length() != 64 || !bodySha256.chars().allMatch(c -> HexFormat.isHexDigit(c))) {
            throw new InvalidReceipt("the receipt's body_sha256 is not 64 hex digits");
        }
        return new Claims(keyId, requestId, bodySha256.toLowerCase(java.util.Locale.ROOT), route, mode, nodeKeyId,
                prompt, completion, estimated);
    }

    private static String text(JsonParser p, JsonToken value) throws IOException, InvalidReceipt {
        if (value != JsonToken.VALUE_STRING) {
            throw new InvalidReceipt("the receipt member " + p.currentName() + " is not a string");
        }
        return p.getText();
    }

    /** The string member {@code name} of the object at the parser, the rest of the object skipped. */
    private static String member(JsonParser p, JsonToken value, String name) throws IOException, InvalidReceipt {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value != JsonToken.START_OBJECT) {
            throw new InvalidReceipt("the receipt member " + p.currentName() + " is not an object");
        }
        String found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            if (field.equals(name) && v == JsonToken.VALUE_STRING) {
                found = p.getText();
            } else {
                p.skipChildren();
            }
        }
        return found;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GatewayReceipt other && Arrays.equals(json, other.json)
                && Arrays.equals(signature, other.signature);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(json) + Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "GatewayReceipt[" + text() + "]";
    }

    /**
     * What a receipt states that a client checks or hands on.
     *
     * @param keyId            the receipt key's id ({@link #keyId})
     * @param requestId        the gateway's request id
     * @param bodySha256       the SHA-256 of the request body as the gateway received it, lowercase hex
     * @param route            the route that served the request
     * @param mode             the privacy mode it was served in ({@code e2ee} for an end-to-end encrypted request)
     * @param nodeKeyId        the verified node's key id for a node route, else {@code null}
     * @param promptTokens     the prompt tokens, or -1 when the receipt carries no counts (a stream's header receipt)
     * @param completionTokens the completion tokens, or -1 likewise
     * @param usageEstimated   the counts are Veil's own estimate (the upstream reported none)
     */
    public record Claims(String keyId, String requestId, String bodySha256, String route, String mode,
                         String nodeKeyId, long promptTokens, long completionTokens, boolean usageEstimated) {

        /** Whether the receipt carries token counts. */
        public boolean hasTokens() {
            return promptTokens >= 0;
        }
    }
}
