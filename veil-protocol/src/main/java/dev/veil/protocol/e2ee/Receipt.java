package dev.veil.protocol.e2ee;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What a node signs for each e2ee request: the hashes of the request and response ciphertext and the token counts it
 * bills. The gateway bills from it; the client checks it against the bytes it sent and received.
 *
 * @param usageEstimated the counts are the node's own because its engine reported no usage; written to the JSON
 *                       (as {@code "usage_estimated":true}) only when true, so other receipts keep their bytes
 */
public record Receipt(int version, String nodeKeyId, String model, String path, String requestSha256,
                      String responseSha256, long promptTokens, long completionTokens, long created,
                      boolean usageEstimated) {

    private static final JsonFactory JSON = new JsonFactory();

    /** A receipt whose counts are the engine's own. */
    public Receipt(int version, String nodeKeyId, String model, String path, String requestSha256,
                   String responseSha256, long promptTokens, long completionTokens, long created) {
        this(version, nodeKeyId, model, path, requestSha256, responseSha256, promptTokens, completionTokens, created,
                false);
    }

    /** The receipt's JSON bytes, the exact bytes that are signed. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeNumberField("v", version);
            g.writeStringField("node_key_id", nodeKeyId);
            g.writeStringField("model", model);
            g.writeStringField("path", path);
            g.writeStringField("request_sha256", requestSha256);
            g.writeStringField("response_sha256", responseSha256);
            g.writeNumberField("prompt_tokens", promptTokens);
            g.writeNumberField("completion_tokens", completionTokens);
            g.writeNumberField("created", created);
            if (usageEstimated) {
                g.writeBooleanField("usage_estimated", true);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Parses receipt JSON; unknown fields are ignored, missing ones fail. */
    public static Receipt parse(byte[] json) throws E2eeException {
        int version = -1;
        String nodeKeyId = null;
        String model = null;
        String path = null;
        String request = null;
        String response = null;
        long prompt = -1;
        long completion = -1;
        long created = -1;
        boolean usageEstimated = false;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new E2eeException.BadReceipt("the receipt is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "v" -> version = p.getIntValue();
                    case "node_key_id" -> nodeKeyId = p.getText();
                    case "model" -> model = p.getText();
                    case "path" -> path = p.getText();
                    case "request_sha256" -> request = p.getText();
                    case "response_sha256" -> response = p.getText();
                    case "prompt_tokens" -> prompt = p.getLongValue();
                    case "completion_tokens" -> completion = p.getLongValue();
                    case "created" -> created = p.getLongValue();
                    case "usage_estimated" -> usageEstimated = p.getBooleanValue();
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new E2eeException.BadReceipt("the receipt is not valid JSON");
        }
        if (version != 1 || nodeKeyId == null || model == null || path == null || request == null || response == null
                || prompt < 0 || completion < 0 || created < 0) {
            throw new E2eeException.BadReceipt("the receipt misses fields or has an unknown version");
        }
        return new Receipt(version, nodeKeyId, model, path, request, response, prompt, completion, created,
                usageEstimated);
    }
}
