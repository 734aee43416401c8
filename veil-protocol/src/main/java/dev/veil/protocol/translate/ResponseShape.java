package dev.veil.protocol.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The Responses API's {@code response} object and output items, as Veil writes them for a translated answer. */
final class ResponseShape {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String id;
    private final long createdAt;
    private final String model;

    ResponseShape(String id, long createdAt, String model) {
        this.id = id;
        this.createdAt = createdAt;
        this.model = model;
    }

    /**
     * The response object: {@code in_progress} when {@code finishReason} is {@code null}, {@code incomplete} for a
     * chat {@code length} finish, else {@code completed}; {@code usage} {@code null} while in progress.
     */
    ObjectNode object(String finishReason, ArrayNode output, TokenCounts usage) {
        String status = finishReason == null ? "in_progress" : finishReason.equals("length") ? "incomplete" : "completed";
        ObjectNode r = JSON.createObjectNode().put("id", id).put("object", "response").put("created_at", createdAt)
                .put("status", status).put("model", model);
        r.putNull("error");
        if (status.equals("incomplete")) {
            r.putObject("incomplete_details").put("reason", "max_output_tokens");
        } else {
            r.putNull("incomplete_details");
        }
        r.putNull("instructions");
        r.putObject("metadata");
        r.put("parallel_tool_calls", true);
        r.putNull("temperature");
        r.putNull("top_p");
        r.put("tool_choice", "auto");
        r.putArray("tools");
        r.put("store", false);
        r.putObject("text").putObject("format").put("type", "text");
        r.set("output", output);
        if (usage == null) {
            r.putNull("usage");
        } else {
            ObjectNode u = r.putObject("usage").put("input_tokens", usage.input());
            u.putObject("input_tokens_details").put("cached_tokens", 0);
            u.put("output_tokens", usage.output());
            u.putObject("output_tokens_details").put("reasoning_tokens", 0);
            u.put("total_tokens", usage.total());
        }
        return r;
    }

    static ObjectNode message(String id, String text, String status) {
        ObjectNode m = JSON.createObjectNode().put("type", "message").put("id", id).put("status", status)
                .put("role", "assistant");
        ArrayNode content = m.putArray("content");
        if (text != null) {
            content.add(outputText(text));
        }
        return m;
    }

    static ObjectNode outputText(String text) {
        ObjectNode part = JSON.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    static ObjectNode functionCall(String callId, String name, String arguments, String status) {
        return JSON.createObjectNode().put("type", "function_call").put("id", "fc_" + callId).put("call_id", callId)
                .put("name", name).put("arguments", arguments).put("status", status);
    }

    static JsonNode empty() {
        return JSON.createArrayNode();
    }
}
