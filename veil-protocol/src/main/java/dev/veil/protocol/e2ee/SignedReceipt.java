package dev.veil.protocol.e2ee;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * A receipt's exact JSON bytes and the node's Ed25519 signature over them, as carried in the clear receipt frame:
 * {@code {"payload": b64u(receipt JSON), "signature": b64u(signature)}}.
 */
public record SignedReceipt(byte[] payload, byte[] signature) {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    /** Signs {@code receipt} with the node's key. */
    public static SignedReceipt sign(Receipt receipt, SigningKey key) {
        byte[] payload = receipt.toJson();
        return new SignedReceipt(payload, key.sign(payload));
    }

    /** The receipt frame's payload. */
    public byte[] toFramePayload() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("payload", B64.encodeToString(payload));
            g.writeStringField("signature", B64.encodeToString(signature));
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Reads a receipt frame's payload (does not verify it). */
    public static SignedReceipt fromFramePayload(byte[] framePayload) throws E2eeException {
        String payload = null;
        String signature = null;
        try (JsonParser p = JSON.createParser(framePayload)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new E2eeException.BadReceipt("the receipt frame is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("payload")) {
                    payload = p.getText();
                } else if (field.equals("signature")) {
                    signature = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            if (payload == null || signature == null) {
                throw new E2eeException.BadReceipt("the receipt frame needs payload and signature");
            }
            return new SignedReceipt(B64D.decode(payload), B64D.decode(signature));
        } catch (IOException | IllegalArgumentException e) {
            throw new E2eeException.BadReceipt("the receipt frame is not valid");
        }
    }

    /** The receipt, parsed but not verified. */
    public Receipt receipt() throws E2eeException {
        return Receipt.parse(payload);
    }

    /** Whether the signature verifies with the node's raw Ed25519 public key. */
    public boolean verifies(byte[] signingPublicKey) {
        return SigningKey.verify(signingPublicKey, payload, signature);
    }
}
