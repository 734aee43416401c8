package dev.veil.protocol.translate;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.policy.RequestFields;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * Anthropic Messages ↔ OpenAI Chat Completions, for routes whose upstream speaks only the OpenAI API: a Messages
 * request becomes a chat request, and a whole chat answer becomes a Messages answer (streams: {@link ChatStreamToMessages}).
 * Pure functions over JSON trees; nothing here logs or keeps content. The table of what maps and what is refused is in
 * docs/anthropic.md; every refusal is a {@link Untranslatable} naming the field (a 400 for the client).
 *
 * <p>Numbers are read as {@code BigDecimal}/{@code BigInteger}, so sampling parameters and tool schemas keep their
 * values exactly.
 */
public final class MessagesTranslation {

    /** A Messages request feature that Chat Completions cannot express; {@code param} names the field. */
    public static final class Untranslatable extends Exception {
        private final String param;

        Untranslatable(String param, String message) {
            super(message, null, false, false);
            this.param = param;
        }

        /** The field at fault, e.g. {@code messages[2].content[0].type}. */
        public String param() {
            return param;
        }
    }

    public static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(com.fasterxml.jackson.core.StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION).build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);
    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    /** Fields copied under the same name. */
    private static final Set<String> SAME_NAME = Set.of("max_tokens", "temperature", "top_p");
    /** Fields only an Anthropic upstream understands, refused for a chat upstream. */
    private static final Set<String> NATIVE_ONLY = Set.of("top_k", "container", "mcp_servers", "context_management",
            "service_tier");

    private MessagesTranslation() {
    }

    /**
     * The chat request for a Messages request (without {@code model}, which each route sets), asking for usage on
     * streams. Routing and identity fields ({@code metadata} with {@code user_id}) are left out.
     *
     * @param body a body the gateway's request inspector (or the node's sealed request screen) accepted for the Messages endpoint
     */
    public static ObjectNode request(byte[] body) throws Untranslatable {
        JsonNode in;
        try {
            in = MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("an accepted body did not parse");
        }
        ObjectNode out = NODES.objectNode();
        ArrayNode messages = NODES.arrayNode();
        for (Map.Entry<String, JsonNode> member : in.properties()) {
            String field = member.getKey();
            JsonNode value = member.getValue();
            if (value.isNull()) {
                continue;
            }
            switch (field) {
                case "model", "messages", "stream" -> { }
                case "system" -> messages.add(system(value));
                case "stop_sequences" -> out.set("stop", value);
                case "tools" -> out.set("tools", tools(value));
                case "tool_choice" -> toolChoice(value, out);
                case "thinking" -> {
                    if (!"disabled".equals(value.path("type").asText())) {
                        throw new Untranslatable("thinking", "Extended thinking (\"thinking\") cannot be translated for "
                                + "this model's OpenAI-compatible upstream; leave it out, or use a model served by an "
                                + "Anthropic-compatible upstream.");
                    }
                }
                default -> {
                    if (SAME_NAME.contains(field)) {
                        out.set(field, value);
                    } else if (NATIVE_ONLY.contains(field)) {
                        throw new Untranslatable(field, "\"" + field + "\" has no Chat Completions equivalent and this "
                                + "model's upstream speaks only the OpenAI API; leave it out, or use a model served by an "
                                + "Anthropic-compatible upstream.");
                    }
                    // metadata (identity), routing fields and operator-allowed extras are not sent to a chat upstream.
                }
            }
        }
        JsonNode given = in.path("messages");
        for (int i = 0; i < given.size(); i++) {
            message(given.get(i), i, messages);
        }
        out.set("messages", messages);
        if (in.path("stream").asBoolean(false)) {
            out.put("stream", true);
            out.putObject("stream_options").put("include_usage", true);
        }
        return out;
    }

    private static ObjectNode system(JsonNode value) throws Untranslatable {
        ObjectNode message = NODES.objectNode().put("role", "system");
        if (value.isTextual()) {
            message.set("content", value);
            return message;
        }
        if (!value.isArray()) {
            throw new Untranslatable("system", "\"system\" must be a string or an array of text blocks.");
        }
        ArrayNode parts = message.putArray("content");
        for (int i = 0; i < value.size(); i++) {
            JsonNode block = value.get(i);
            if (!"text".equals(block.path("type").asText()) || !block.path("text").isTextual()) {
                throw new Untranslatable("system[" + i + "]", "\"system\" blocks must be text blocks "
                        + "({\"type\":\"text\",\"text\":...}).");
            }
            parts.addObject().put("type", "text").set("text", block.get("text"));
        }
        return message;
    }

    /** One Messages message; a user message's tool results become chat {@code tool} messages, placed first. */
    private static void message(JsonNode message, int index, ArrayNode out) throws Untranslatable {
        String at = "messages[" + index + "]";
        String role = message.path("role").asText();
        if (!role.equals("user") && !role.equals("assistant")) {
            throw new Untranslatable(at + ".role", "A message's role must be \"user\" or \"assistant\" (the system "
                    + "prompt goes in the top-level \"system\").");
        }
        JsonNode content = message.path("content");
        if (content.isTextual()) {
            out.addObject().put("role", role).set("content", content);
            return;
        }
        if (!content.isArray()) {
            throw new Untranslatable(at + ".content", "A message's content must be a string or an array of blocks.");
        }
        if (role.equals("assistant")) {
            assistant(content, at, out);
        } else {
            user(content, at, out);
        }
    }

    private static void user(JsonNode content, String at, ArrayNode out) throws Untranslatable {
        ArrayNode parts = NODES.arrayNode();
        for (int j = 0; j < content.size(); j++) {
            JsonNode block = content.get(j);
            String where = at + ".content[" + j + "]";
            switch (block.path("type").asText()) {
                case "text" -> parts.addObject().put("type", "text").set("text", text(block, where));
                case "image" -> parts.add(image(block, where));
                case "tool_result" -> {
                    ObjectNode tool = out.addObject().put("role", "tool");
                    tool.set("tool_call_id", requiredText(block, "tool_use_id", where));
                    tool.set("content", toolResultContent(block.path("content"), where));
                }
                default -> throw unsupportedBlock(block, where);
            }
        }
        if (!parts.isEmpty()) {
            out.addObject().put("role", "user").set("content", parts);
        }
    }

    private static void assistant(JsonNode content, String at, ArrayNode out) throws Untranslatable {
        StringBuilder text = new StringBuilder();
        ArrayNode calls = NODES.arrayNode();
        for (int j = 0; j < content.size(); j++) {
            JsonNode block = content.get(j);
            String where = at + ".content[" + j + "]";
            switch (block.path("type").asText()) {
                case "text" -> text.append(text(block, where).asText());
                case "tool_use" -> {
                    ObjectNode call = calls.addObject();
                    call.set("id", requiredText(block, "id", where));
                    call.put("type", "function");
                    ObjectNode function = call.putObject("function");
                    function.set("name", requiredText(block, "name", where));
                    function.put("arguments", block.path("input").isMissingNode() ? "{}" : block.get("input").toString());
                }
                // A model's earlier reasoning is signed for Claude only; a chat model can do nothing with it.
                case "thinking", "redacted_thinking" -> { }
                default -> throw unsupportedBlock(block, where);
            }
        }
        ObjectNode message = out.addObject().put("role", "assistant");
        if (!text.isEmpty() || calls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
    }

    private static JsonNode toolResultContent(JsonNode content, String where) throws Untranslatable {
        if (content.isMissingNode() || content.isNull()) {
            return NODES.textNode("");
        }
        if (content.isTextual()) {
            return content;
        }
        if (!content.isArray()) {
            throw new Untranslatable(where + ".content", "A tool result's content must be a string or an array of "
                    + "text blocks.");
        }
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < content.size(); k++) {
            JsonNode block = content.get(k);
            if (!"text".equals(block.path("type").asText())) {
                throw new Untranslatable(where + ".content[" + k + "].type", "Only text can be translated in a tool "
                        + "result for this model's OpenAI-compatible upstream.");
            }
            text.append(text(block, where + ".content[" + k + "]").asText());
        }
        return NODES.textNode(text.toString());
    }

    private static ObjectNode image(JsonNode block, String where) throws Untranslatable {
        JsonNode source = block.path("source");
        String url;
        switch (source.path("type").asText()) {
            case "base64" -> url = "data:" + requiredText(source, "media_type", where + ".source").asText() + ";base64,"
                    + requiredText(source, "data", where + ".source").asText();
            case "url" -> url = requiredText(source, "url", where + ".source").asText();
            default -> throw new Untranslatable(where + ".source.type", "An image source must be \"base64\" or "
                    + "\"url\" for this model's OpenAI-compatible upstream.");
        }
        ObjectNode part = NODES.objectNode().put("type", "image_url");
        part.putObject("image_url").put("url", url);
        return part;
    }

    private static ArrayNode tools(JsonNode tools) throws Untranslatable {
        if (!tools.isArray()) {
            throw new Untranslatable("tools", "\"tools\" must be an array.");
        }
        ArrayNode out = NODES.arrayNode();
        for (int i = 0; i < tools.size(); i++) {
            JsonNode tool = tools.get(i);
            String type = tool.path("type").asText("custom");
            if (!type.equals("custom")) {
                throw new Untranslatable("tools[" + i + "].type", "Anthropic's server and client tools (\"type\" other "
                        + "than \"custom\") cannot be translated for this model's OpenAI-compatible upstream; define the "
                        + "tool with a name, description and input_schema.");
            }
            ObjectNode function = out.addObject().put("type", "function").putObject("function");
            function.set("name", requiredText(tool, "name", "tools[" + i + "]"));
            if (tool.path("description").isTextual()) {
                function.set("description", tool.get("description"));
            }
            JsonNode schema = tool.path("input_schema");
            if (!schema.isObject()) {
                throw new Untranslatable("tools[" + i + "].input_schema", "A tool needs an \"input_schema\" object.");
            }
            function.set("parameters", schema);
        }
        return out;
    }

    private static void toolChoice(JsonNode choice, ObjectNode out) throws Untranslatable {
        switch (choice.path("type").asText()) {
            case "auto" -> out.put("tool_choice", "auto");
            case "any" -> out.put("tool_choice", "required");
            case "none" -> out.put("tool_choice", "none");
            case "tool" -> out.putObject("tool_choice").put("type", "function").putObject("function")
                    .set("name", requiredText(choice, "name", "tool_choice"));
            default -> throw new Untranslatable("tool_choice.type", "\"tool_choice.type\" must be auto, any, tool or none.");
        }
        if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
            out.put("parallel_tool_calls", false);
        }
    }

    private static JsonNode text(JsonNode block, String where) throws Untranslatable {
        return requiredText(block, "text", where);
    }

    private static JsonNode requiredText(JsonNode node, String field, String where) throws Untranslatable {
        JsonNode value = node.path(field);
        if (!value.isTextual()) {
            throw new Untranslatable(where + "." + field, "\"" + field + "\" must be a string.");
        }
        return value;
    }

    private static Untranslatable unsupportedBlock(JsonNode block, String where) {
        String type = RequestFields.shown(block.path("type").asText());
        return new Untranslatable(where + ".type", "Content blocks of type " + (type == null ? "(unnamed)" : "\"" + type
                + "\"") + " cannot be translated for this model's OpenAI-compatible upstream; text, image, tool_use and "
                + "tool_result can.");
    }

    /** A tree as JSON bytes. */
    public static byte[] bytes(JsonNode tree) {
        try {
            return MAPPER.writeValueAsBytes(tree);
        } catch (IOException e) {
            throw new IllegalStateException("writing a tree failed");
        }
    }

    /** Anthropic's stop reason for a chat {@code finish_reason}. */
    public static String stopReason(String finishReason) {
        if (finishReason == null) {
            return "end_turn";
        }
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    /** A whole chat answer that cannot become a Messages answer. */
    public static final class MalformedAnswer extends Exception {
        MalformedAnswer(String what) {
            super(what, null, false, false);
        }
    }

    /**
     * The Messages answer for a whole chat answer.
     *
     * @param chat      the upstream's answer (already checked to be one JSON object)
     * @param model     the public model id the client asked for
     * @param messageId the id to give the message
     * @param inputTokens  the prompt tokens to report
     * @param outputTokens the completion tokens to report
     */
    public static byte[] response(byte[] chat, String model, String messageId, long inputTokens, long outputTokens)
            throws MalformedAnswer {
        JsonNode in;
        try {
            in = MAPPER.readTree(chat);
        } catch (IOException e) {
            throw new MalformedAnswer("not JSON");
        }
        JsonNode choice = in.path("choices").path(0);
        if (!choice.isObject()) {
            throw new MalformedAnswer("no choices");
        }
        JsonNode message = choice.path("message");
        ObjectNode out = NODES.objectNode().put("id", messageId).put("type", "message").put("role", "assistant")
                .put("model", model);
        ArrayNode content = out.putArray("content");
        if (message.path("content").isTextual() && !message.get("content").asText().isEmpty()) {
            content.addObject().put("type", "text").set("text", message.get("content"));
        }
        for (JsonNode call : message.path("tool_calls")) {
            JsonNode function = call.path("function");
            JsonNode input;
            try {
                String arguments = function.path("arguments").asText("");
                input = arguments.isBlank() ? NODES.objectNode() : MAPPER.readTree(arguments);
            } catch (IOException e) {
                throw new MalformedAnswer("tool call arguments that are not JSON");
            }
            if (!input.isObject()) {
                throw new MalformedAnswer("tool call arguments that are not a JSON object");
            }
            content.addObject().put("type", "tool_use").put("id", call.path("id").asText())
                    .put("name", function.path("name").asText()).set("input", input);
        }
        String finish = choice.path("finish_reason").isTextual() ? choice.get("finish_reason").asText() : null;
        out.put("stop_reason", stopReason(finish));
        out.putNull("stop_sequence");
        out.putObject("usage").put("input_tokens", inputTokens).put("output_tokens", outputTokens);
        try {
            return MAPPER.writeValueAsBytes(out);
        } catch (IOException e) {
            throw new IllegalStateException("writing a tree failed");
        }
    }
}
