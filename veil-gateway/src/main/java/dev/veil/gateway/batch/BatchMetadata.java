package dev.veil.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.policy.Constraint;
import dev.veil.protocol.policy.RequestPolicyReader;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.batch.ClientSealing;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A batch's {@code metadata}: OpenAI's string key-value pairs plus two Veil extensions, {@code privacy} (a routing
 * policy like a request's {@code privacy} object, as an object or a string holding one) and
 * {@code veil_client_public_key} (base64url X25519 public key for client-held keys).
 *
 * @param privacy   the constraints of {@code metadata.privacy} (empty when absent)
 * @param clientKey the client's public key, or null
 */
public record BatchMetadata(List<Constraint> privacy, byte[] clientKey) {

    public static final String PRIVACY = "privacy";
    public static final String CLIENT_KEY = "veil_client_public_key";
    static final int MAX_PAIRS = 16;
    static final int MAX_KEY = 64;
    static final int MAX_VALUE = 512;
    static final int MAX_PRIVACY_JSON = 8192;

    public static final BatchMetadata NONE = new BatchMetadata(List.of(), null);

    /**
     * Validates and reads a metadata object.
     *
     * @throws InvalidRequestException naming {@code metadata.<key>} (never quoting a value)
     */
    public static BatchMetadata read(JsonNode metadata, ObjectMapper mapper) throws InvalidRequestException {
        if (metadata == null || metadata.isNull()) {
            return NONE;
        }
        if (!metadata.isObject()) {
            throw invalid("\"metadata\" must be an object of string values.", "metadata", "invalid_type");
        }
        if (metadata.size() > MAX_PAIRS) {
            throw invalid("\"metadata\" may hold at most " + MAX_PAIRS + " pairs.", "metadata", "invalid_value");
        }
        List<Constraint> privacy = List.of();
        byte[] clientKey = null;
        for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.length() > MAX_KEY) {
                throw invalid("metadata keys are at most " + MAX_KEY + " characters.", "metadata", "invalid_value");
            }
            if (key.equals(PRIVACY)) {
                JsonNode policy = value;
                if (value.isTextual()) {
                    if (value.textValue().length() > MAX_PRIVACY_JSON) {
                        throw invalid("metadata.privacy is too long.", "metadata.privacy", "invalid_value");
                    }
                    try {
                        policy = mapper.readTree(value.textValue());
                    } catch (Exception ex) {
                        throw invalid("metadata.privacy must be a JSON object (or a string holding one).",
                                "metadata.privacy", "invalid_value");
                    }
                }
                RequestPolicyReader reader = new RequestPolicyReader();
                try {
                    reader.read("privacy", policy);
                } catch (dev.veil.protocol.policy.PolicyFieldException ex) {
                    OpenAiError inner = ex.error();
                    throw invalid(inner.message(), inner.param() == null ? "metadata.privacy" : "metadata." + inner.param(),
                            inner.code());
                }
                privacy = reader.build(List.of(), false).constraints();
            } else if (key.equals(CLIENT_KEY)) {
                if (!value.isTextual()) {
                    throw invalid("metadata.veil_client_public_key must be a base64url X25519 public key.",
                            "metadata.veil_client_public_key", "invalid_type");
                }
                try {
                    clientKey = ClientSealing.decodeKey(value.textValue());
                } catch (IllegalArgumentException ex) {
                    throw invalid("metadata.veil_client_public_key must be 32 bytes (an X25519 public key) in base64url.",
                            "metadata.veil_client_public_key", "invalid_value");
                }
            } else if (!value.isTextual() || value.textValue().length() > MAX_VALUE) {
                throw invalid("metadata values are strings of at most " + MAX_VALUE + " characters.", "metadata", "invalid_value");
            }
        }
        return new BatchMetadata(privacy, clientKey);
    }

    private static InvalidRequestException invalid(String message, String param, String code) {
        return new InvalidRequestException(OpenAiError.invalidRequest(message, param, code));
    }
}
