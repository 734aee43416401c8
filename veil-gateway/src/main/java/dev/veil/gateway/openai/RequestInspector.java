package dev.veil.gateway.openai;

import dev.veil.protocol.api.Endpoint;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.policy.RequestPolicy;
import dev.veil.protocol.policy.RequestPolicyReader;
import dev.veil.protocol.policy.ForwardRules;
import dev.veil.protocol.policy.RequestFields;
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
 *
 * <p>Every top-level field must be one {@link RequestFields} knows for the endpoint, or one the operator allows on
 * some route ({@code forward_fields}); anything else is refused as OpenAI refuses it, with 400
 * {@code unknown_parameter} naming the field. {@code store} must be a boolean; {@code store: true} adds a constraint
 * that excludes routes configured to refuse it.
 */
public final class RequestInspector {

    private final JsonFactory json;
    private final ObjectMapper routingFields;
    /** Fields some route's operator allows beyond the documented ones: accepted here, dropped on other routes. */
    private final ForwardRules anyRoute;

    /** An inspector for a gateway whose routes allow nothing beyond the documented fields. */
    public RequestInspector(JsonFactory json) {
        this(json, java.util.Set.of());
    }

    /**
     * @param operatorAllowed the union of every route's {@code forward_fields}: a field outside the documented list
     *                        is accepted when some route may receive it
     */
    public RequestInspector(JsonFactory json, java.util.Set<String> operatorAllowed) {
        this.json = json;
        this.anyRoute = new ForwardRules(operatorAllowed, false);
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
        boolean storeRequested = false;
        java.util.Set<String> documented = endpoint.documented();
        java.util.Set<String> countsSeen = endpoint.requiredCounts().isEmpty() ? java.util.Set.of()
                : new java.util.HashSet<>();
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
                    case "stream_options" -> {
                        if (!documented.contains(field)) {
                            // Messages: not a field of that API (its streams always carry usage).
                            throw unknownField(endpoint, field);
                        }
                        clientWantsUsage = inspectStreamOptions(p, value);
                    }
                    case "privacy", "provider", "models", "data_policy", "providers" ->
                            policy.read(field, routingFields.readTree(p));
                    default -> {
                        if (RequestFields.disposition(endpoint, field, anyRoute) == RequestFields.Disposition.UNKNOWN) {
                            throw unknownField(endpoint, field);
                        }
                        if (endpoint.requiredCounts().contains(field)) {
                            if (value != JsonToken.VALUE_NUMBER_INT || p.getValueAsLong() < 1) {
                                throw value == JsonToken.VALUE_NUMBER_INT ? InvalidRequestException.invalid(
                                        "\"" + field + "\" must be at least 1.", field, "invalid_value")
                                        : wrongType(field, "an integer");
                            }
                            countsSeen.add(field);
                        }
                        if (field.equals(RequestFields.STORE) && documented.contains(field)) {
                            if (value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE && value != JsonToken.VALUE_NULL) {
                                throw wrongType("store", "a boolean");
                            }
                            storeRequested = value == JsonToken.VALUE_TRUE;
                        }
                        if (endpoint.statelessFields().contains(field)) {
                            refuseState(field, value);
                        }
                        if (!RequestFields.NOT_PARAMETERS.contains(field) && !endpoint.identityFields().contains(field)) {
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
        } catch (dev.veil.protocol.policy.PolicyFieldException e) {
            throw new InvalidRequestException(e.error());
        }
        RequestPolicy routing = policy.build(parameters, storeRequested);
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
        for (String required : endpoint.requiredCounts()) {
            if (!countsSeen.contains(required)) {
                throw InvalidRequestException.invalid("Missing required parameter: \"" + required + "\" (" + endpoint.path()
                        + " requires it" + (endpoint == Endpoint.MESSAGES ? "; an OpenAI chat body belongs on "
                        + Endpoint.CHAT_COMPLETIONS.path() : "") + ").", required, "missing_required_parameter");
            }
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
        Endpoint.Content content = endpoint.content();
        boolean fits = (content.string() && value == JsonToken.VALUE_STRING)
                || (content.array() && value == JsonToken.START_ARRAY);
        if (!fits) {
            throw wrongType(content.field(), content.expected());
        }
    }

    /**
     * Refuses a field that asks the provider for state Veil never lets it keep ({@code previous_response_id},
     * {@code conversation}, {@code background}): {@code null} (and {@code false} for a flag) mean "none" and pass.
     */
    private static void refuseState(String field, JsonToken value) throws InvalidRequestException {
        if (value == JsonToken.VALUE_NULL || value == JsonToken.VALUE_FALSE) {
            return;
        }
        throw InvalidRequestException.invalid("Veil is stateless: it keeps no responses or conversations and sends "
                + "\"store\": false to every provider, so \"" + field + "\" cannot refer to anything. Send the whole "
                + "conversation in \"input\" instead (include the earlier output items), and run requests in the "
                + "foreground.", field, "stateless_gateway");
    }

    /** Fields only Anthropic's Messages API has: their presence on the chat endpoint means the wrong endpoint. */
    private static final Set<String> MESSAGES_ONLY = Set.of("system", "stop_sequences", "top_k", "thinking",
            "container", "mcp_servers", "context_management");

    private static InvalidRequestException unknownField(Endpoint endpoint, String field) {
        String message = RequestFields.unknownFieldMessage(field, endpoint.path());
        if (endpoint == Endpoint.CHAT_COMPLETIONS && MESSAGES_ONLY.contains(field)) {
            message += " (\"" + field + "\" is a field of Anthropic's Messages API: send Messages requests to " + Endpoint.MESSAGES.path() + ".)";
        } else if (endpoint == Endpoint.MESSAGES && RequestFields.CHAT_COMPLETIONS.contains(field)) {
            message += " (\"" + field + "\" is a field of OpenAI's Chat Completions API: send chat requests to "
                    + Endpoint.CHAT_COMPLETIONS.path() + ".)";
        }
        return InvalidRequestException.invalid(message, RequestFields.shown(field), "unknown_parameter");
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
