package dev.veil.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.OpenAiError;
import java.io.IOException;

/**
 * The decrypted request as the engine gets it: {@code model} renamed from the public id (taken from the
 * authenticated {@code Veil-Model}, not from the body) to the engine's name, and, for streams, usage requested so the
 * node can sign token counts. Request bodies are small, so a Jackson tree is simple and cheap enough here.
 *
 * @param body             the JSON to send to the engine
 * @param stream           whether it asks for a stream
 * @param clientWantsUsage whether the client itself asked for the stream's usage event
 */
record EngineRequest(byte[] body, boolean stream, boolean clientWantsUsage) {

    /** The decrypted body cannot be sent on; answered sealed, since it is about content the gateway must not see. */
    static final class Refused extends Exception {
        private final transient OpenAiError error;

        Refused(OpenAiError error) {
            super(error.code(), null, false, false);
            this.error = error;
        }

        OpenAiError error() {
            return error;
        }
    }

    /**
     * Prepares the engine request.
     *
     * @param plaintext   the decrypted OpenAI JSON request
     * @param engineModel the engine's name for the requested public model
     * @param stream      the authenticated {@code Veil-Stream} flag
     * @throws Refused when the body is not a JSON object, or its {@code stream} disagrees with {@code Veil-Stream}
     */
    static EngineRequest prepare(ObjectMapper json, byte[] plaintext, String engineModel, boolean stream) throws Refused {
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
        return new Refused(OpenAiError.invalidRequest(message, param, code));
    }
}
