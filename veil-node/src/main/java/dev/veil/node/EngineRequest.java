package dev.veil.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.api.Endpoint;
import dev.veil.protocol.translate.MessagesTranslation;
import dev.veil.protocol.translate.ResponsesToChat;
import java.util.Set;
import dev.veil.protocol.policy.PolicyTarget;
import dev.veil.protocol.policy.SealedRequestScreen;
import java.io.IOException;

/**
 * The decrypted request as the engine gets it, screened by the plain path's rules ({@link SealedRequestScreen}):
 * routing, identity and storage fields removed, {@code store} false, fields the endpoint does not document refused,
 * and the request's own policy checked against this node's declaration and evidence; {@code model} renamed from the
 * public id (taken from the authenticated {@code Veil-Model}, not from the body) to the engine's name, and, for
 * streams, usage requested so the node can sign token counts. Request bodies are small, so a Jackson tree is simple
 * and cheap enough here.
 *
 * <p>A request of an endpoint the engine does not speak natively (node setting {@code engineApis}) is translated to a
 * chat completion request here, inside the enclave, with the same code the gateway uses on its plain path
 * ({@link ResponsesToChat}, {@link MessagesTranslation}); the answer is translated back by {@link AnswerTranslation}.
 *
 * @param body             the JSON to send to the engine
 * @param stream           whether it asks for a stream
 * @param clientWantsUsage whether the client itself asked for the stream's usage event (chat-style streams only)
 * @param client           the endpoint the client called
 * @param engine           the endpoint the engine is called on: {@code client}, or chat completions when translated
 */
record EngineRequest(byte[] body, boolean stream, boolean clientWantsUsage, Endpoint client, Endpoint engine) {

    /** Whether the engine gets a translation of the client's request. */
    boolean translated() {
        return client != engine;
    }

    /**
     * The decrypted body cannot be sent on; answered sealed, since it is about content (or a policy) the gateway must
     * not see. Carries the status and the OpenAI-shaped body: a 400 naming a field, or the typed 403 policy refusal.
     */
    static final class Refused extends Exception {
        private final int status;
        private final transient byte[] body;

        Refused(int status, byte[] body) {
            super("refused with status " + status, null, false, false);
            this.status = status;
            this.body = body;
        }

        int status() {
            return status;
        }

        byte[] body() {
            return body;
        }
    }

    /**
     * Prepares the engine request.
     *
     * @param plaintext   the decrypted JSON request
     * @param endpoint    the authenticated endpoint (its path is bound into the request's encryption)
     * @param engineApis  the API families the engine speaks natively
     * @param publicModel the authenticated public model id
     * @param engineModel the engine's name for the requested public model
     * @param stream      the authenticated {@code Veil-Stream} flag
     * @param node        this node, as the request's policy is checked against it
     * @throws Refused when the body is not a JSON object, its {@code stream} disagrees with {@code Veil-Stream}, a
     *                 field is malformed or unknown, or its policy excludes this node
     */
    static EngineRequest prepare(ObjectMapper json, byte[] plaintext, Endpoint endpoint, Set<String> engineApis,
                                 String publicModel, String engineModel, boolean stream, PolicyTarget node)
            throws Refused {
        String path = endpoint.path();
        JsonNode tree;
        try {
            tree = json.readTree(plaintext);
        } catch (IOException e) {
            throw refused("The decrypted request body is not valid JSON.", null, "invalid_json");
        }
        if (!(tree instanceof ObjectNode request)) {
            throw refused("The decrypted request body must be a JSON object.", null, "invalid_json");
        }
        JsonNode streamField = request.get("stream");
        if (streamField != null && !streamField.isNull() && !streamField.isBoolean()) {
            throw refused("stream must be true or false.", "stream", "invalid_type");
        }
        boolean bodyStream = streamField != null && streamField.asBoolean(false);
        if (bodyStream != stream) {
            // The gateway handles the exchange by Veil-Stream; a body that says otherwise would mislead it.
            throw refused("The encrypted body's stream flag differs from Veil-Stream; send the same value in both.",
                    "stream", "e2ee_stream_mismatch");
        }
        SealedRequestScreen.Refusal refusal = SealedRequestScreen.screen(request, path, publicModel, node);
        if (refusal != null) {
            throw new Refused(refusal.status(), refusal.body());
        }
        for (String stateful : endpoint.statelessFields()) {
            if (request.has(stateful)) {
                throw refused("Veil is stateless: it keeps no responses or conversations, so \"" + stateful + "\" "
                        + "cannot be used; pass the conversation in the request instead.", stateful, "stateless_gateway");
            }
        }
        for (String count : endpoint.requiredCounts()) {
            JsonNode value = request.get(count);
            if (value == null || !value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 1) {
                throw refused(count + ": required, an integer of at least 1.", count,
                        value == null ? "missing_required_parameter" : "invalid_value");
            }
        }
        request.put("model", engineModel);
        if (!engineApis.contains(endpoint.api())) {
            return translated(json, request, endpoint, stream);
        }
        boolean clientWantsUsage = false;
        if (stream && endpoint.streaming().requestUsage()) {
            JsonNode options = request.get("stream_options");
            ObjectNode streamOptions;
            if (options == null || options.isNull()) {
                streamOptions = request.putObject("stream_options");
            } else if (options instanceof ObjectNode o) {
                streamOptions = o;
                clientWantsUsage = o.path("include_usage").asBoolean(false);
            } else {
                throw refused("stream_options must be an object.", "stream_options", "invalid_type");
            }
            streamOptions.put("include_usage", true);
        }
        try {
            return new EngineRequest(json.writeValueAsBytes(request), stream, clientWantsUsage, endpoint, endpoint);
        } catch (JsonProcessingException e) {
            throw refused("The decrypted request body could not be re-encoded.", null, "invalid_json");
        }
    }

    /** The chat completion request for an engine that does not speak {@code endpoint}'s API; streams ask for usage. */
    private static EngineRequest translated(ObjectMapper json, ObjectNode request, Endpoint endpoint, boolean stream)
            throws Refused {
        byte[] chat;
        if (endpoint == Endpoint.RESPONSES) {
            String field = ResponsesToChat.untranslatable(request);
            if (field != null) {
                throw refused(field + ": this node's engine speaks chat completions only, and this feature of the "
                        + "Responses API has no chat equivalent.", field, "untranslatable_request");
            }
            chat = ResponsesToChat.request(request);
        } else if (endpoint == Endpoint.MESSAGES) {
            try {
                chat = MessagesTranslation.bytes(MessagesTranslation.request(json.writeValueAsBytes(request)));
            } catch (MessagesTranslation.Untranslatable e) {
                throw refused(e.param() + ": " + e.getMessage(), e.param(), "untranslatable_request");
            } catch (JsonProcessingException e) {
                throw refused("The decrypted request body could not be re-encoded.", null, "invalid_json");
            }
        } else {
            throw refused("This node's engine does not speak " + endpoint.path() + ".", null, "unsupported_endpoint");
        }
        return new EngineRequest(chat, stream, false, endpoint, Endpoint.CHAT_COMPLETIONS);
    }

    private static Refused refused(String message, String param, String code) {
        OpenAiError error = OpenAiError.invalidRequest(message, param, code);
        return new Refused(error.httpStatus(), error.toJson());
    }
}
