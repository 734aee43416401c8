package dev.veil.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.OpenAiError;
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
 * @param body             the JSON to send to the engine
 * @param stream           whether it asks for a stream
 * @param clientWantsUsage whether the client itself asked for the stream's usage event
 */
record EngineRequest(byte[] body, boolean stream, boolean clientWantsUsage) {

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
     * @param plaintext   the decrypted OpenAI JSON request
     * @param path        the authenticated endpoint path, e.g. {@code /v1/chat/completions}
     * @param publicModel the authenticated public model id
     * @param engineModel the engine's name for the requested public model
     * @param stream      the authenticated {@code Veil-Stream} flag
     * @param node        this node, as the request's policy is checked against it
     * @throws Refused when the body is not a JSON object, its {@code stream} disagrees with {@code Veil-Stream}, a
     *                 field is malformed or unknown, or its policy excludes this node
     */
    static EngineRequest prepare(ObjectMapper json, byte[] plaintext, String path, String publicModel,
                                 String engineModel, boolean stream, PolicyTarget node) throws Refused {
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
        request.put("model", engineModel);
        boolean clientWantsUsage = false;
        if (stream) {
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
            return new EngineRequest(json.writeValueAsBytes(request), stream, clientWantsUsage);
        } catch (JsonProcessingException e) {
            throw refused("The decrypted request body could not be re-encoded.", null, "invalid_json");
        }
    }

    private static Refused refused(String message, String param, String code) {
        OpenAiError error = OpenAiError.invalidRequest(message, param, code);
        return new Refused(error.httpStatus(), error.toJson());
    }
}
