package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.policy.RequestPolicy;
import dev.veil.gateway.policy.RequestPolicyReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Validates an inference request body in one streaming pass and extracts what routing needs, without building a tree
 * and without keeping any content. Error messages name the field and never quote the body.
 *
 * <p>The body must be strict UTF-8 ({@link StrictUtf8}); it is checked before parsing, so every later reader (the
 * rewriter, an upstream) gets text that decodes one way only.
 */
public final class RequestInspector {

    /** Fields that are not "parameters" in the sense of {@code provider.require_parameters}. */
    private static final Set<String> NOT_PARAMETERS = Set.of("model", "stream", "stream_options", "messages", "prompt", "input");

    private final JsonFactory json;
    private final ObjectMapper routingFields;

    public RequestInspector(JsonFactory json) {
        this.json = json;
        this.routingFields = new ObjectMapper(JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                .build());
    }

    /** A factory configured as the inspector expects: strict duplicate detection, no source in locations. */
    public static JsonFactory strictFactory() {
        return JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                .build();
    }

    /**
     * Inspects {@code body} sent to {@code endpoint}.
     *
     * @throws InvalidRequestException naming the offending field when the body is not a valid request
     */
    public InferenceRequest inspect(Endpoint endpoint, byte[] body) throws InvalidRequestException {
        if (body.length == 0) {
            throw InvalidRequestException.invalid(
                    "The request body is empty; send a JSON object with at least \"model\" and \"" + endpoint.contentField() + "\".",
                    null, "missing_body");
        }
        int invalidUtf8 = StrictUtf8.firstInvalid(body);
        if (invalidUtf8 >= 0) {
            throw notUtf8(FieldLocator.topLevelFieldAt(json, body, invalidUtf8), invalidUtf8);
        }
        String model = null;
        boolean stream = false;
        boolean clientWantsUsage = false;
        boolean sawContent = false;
        RequestPolicyReader policy = new RequestPolicyReader();
        List<String> parameters = new ArrayList<>();
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw InvalidRequestException.invalid("The request body must be a JSON object.", null, "invalid_json");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "model" -> {
                        if (value != JsonToken.VALUE_STRING) {
                            throw wrongType("model", "a string");
                        }
                        model = p.getText();
                        if (model.isEmpty() || model.length() > InferenceRequest.MAX_MODEL_ID_LENGTH) {
                            throw InvalidRequestException.invalid(
                                    "\"model\" must be a non-empty model id of at most " + InferenceRequest.MAX_MODEL_ID_LENGTH
                                            + " characters; GET /v1/models lists them.", "model", "invalid_value");
                        }
                    }
                    case "stream" -> {
                        if (value == JsonToken.VALUE_NULL) {
                            stream = false;
                        } else if (value == JsonToken.VALUE_TRUE || value == JsonToken.VALUE_FALSE) {
                            stream = value == JsonToken.VALUE_TRUE;
                        } else {
                            throw wrongType("stream", "a boolean");
                        }
                    }
                    case "stream_options" -> clientWantsUsage = inspectStreamOptions(p, value);
                    case "privacy", "provider", "models", "data_policy", "providers" ->
                            policy.read(field, routingFields.readTree(p));
                    default -> {
                        if (!NOT_PARAMETERS.contains(field) && !RequestRewriter.IDENTITY_FIELDS.contains(field)) {
                            parameters.add(field);
                        }
                        if (field.equals(endpoint.contentField())) {
                            checkContent(endpoint, value);
                            sawContent = true;
                        }
                        p.skipChildren();
                    }
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw InvalidRequestException.invalid("The request body must be exactly one JSON object.", null, "invalid_json");
            }
        } catch (JsonParseException e) {
            throw malformed(e);
        } catch (IOException e) {
            throw InvalidRequestException.invalid("The request body could not be read as JSON.", null, "invalid_json");
        }
        RequestPolicy routing = policy.build(parameters);
        if (model == null && !routing.fallbackModels().isEmpty()) {
            // OpenRouter: with only "models", the first is the primary and the rest are its fallbacks.
            List<String> models = routing.fallbackModels();
            model = models.get(0);
            routing = new RequestPolicy(routing.constraints(), routing.order(), routing.allowFallbacks(), routing.sort(),
                    models.subList(1, models.size()));
        }
        if (model == null) {
            throw InvalidRequestException.invalid("Missing required parameter: \"model\".", "model", "missing_required_parameter");
        }
        if (!sawContent) {
            throw InvalidRequestException.invalid("Missing required parameter: \"" + endpoint.contentField() + "\".",
                    endpoint.contentField(), "missing_required_parameter");
        }
        if (stream && !endpoint.streamable()) {
            throw InvalidRequestException.invalid("This endpoint does not stream; leave out \"stream\".", "stream", "invalid_value");
        }
        return new InferenceRequest(endpoint, model, stream, stream && clientWantsUsage, routing);
    }

    private static boolean inspectStreamOptions(JsonParser p, JsonToken value) throws IOException, InvalidRequestException {
        if (value == JsonToken.VALUE_NULL) {
            return false;
        }
        if (value != JsonToken.START_OBJECT) {
            throw wrongType("stream_options", "an object");
        }
        boolean includeUsage = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("include_usage")) {
                if (v == JsonToken.VALUE_TRUE || v == JsonToken.VALUE_FALSE) {
                    includeUsage = v == JsonToken.VALUE_TRUE;
                } else if (v != JsonToken.VALUE_NULL) {
                    throw wrongType("stream_options.include_usage", "a boolean");
                }
            } else {
                p.skipChildren();
            }
        }
        return includeUsage;
    }

    private static void checkContent(Endpoint endpoint, JsonToken value) throws InvalidRequestException {
        switch (endpoint) {
            case CHAT_COMPLETIONS -> {
                if (value != JsonToken.START_ARRAY) {
                    throw wrongType("messages", "an array of message objects");
                }
            }
            case COMPLETIONS, EMBEDDINGS -> {
                if (value != JsonToken.VALUE_STRING && value != JsonToken.START_ARRAY) {
                    throw wrongType(endpoint.contentField(), "a string or an array");
                }
            }
        }
    }

    private static InvalidRequestException wrongType(String param, String expected) {
        return InvalidRequestException.invalid("Invalid type for \"" + param + "\": expected " + expected + ".", param, "invalid_type");
    }

    private static InvalidRequestException notUtf8(String param, int offset) {
        String holder = param == null ? "it" : "\"" + param + "\"";
        return InvalidRequestException.invalid("The request body is not valid UTF-8: " + holder + " holds an invalid byte "
                + "sequence at byte " + offset + " (overlong forms, encoded UTF-16 surrogates and code points above "
                + "U+10FFFF are refused). Send text as UTF-8; write a lone surrogate as a \\u escape.", param, "invalid_utf8");
    }

    private static InvalidRequestException malformed(JsonParseException e) {
        // Jackson's own message quotes the offending input, so only the position is reported.
        JsonLocation at = e.getLocation();
        String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        return InvalidRequestException.invalid("The request body is not valid JSON" + where + ".", null, "invalid_json");
    }
}
