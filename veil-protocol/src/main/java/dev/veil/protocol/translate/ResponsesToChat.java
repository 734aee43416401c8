package dev.veil.protocol.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * OpenAI's Responses API spoken to an upstream that speaks only chat completions: the request becomes a chat
 * completion request, the answer a {@code response} object ({@link ChatToResponsesStream} does streams). Text, images
 * in the input, function tools, tool results, structured output ({@code text.format}), sampling and output limits
 * translate; anything else (built-in tools such as web search, {@code include}, stored prompts, reasoning summaries,
 * {@code truncation: auto}) does not, and {@link #untranslatable(JsonNode)} names it so that the request can be
 * refused (or kept to routes that speak the Responses API). The body is rebuilt as JSON, so unlike the native path its
 * members are re-serialised rather than copied byte for byte. Nothing here logs or keeps content.
 */
public final class ResponsesToChat {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ResponsesToChat() {
    }

    /** Parses a request body (already accepted by the inspector). */
    public static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException("translation of an accepted body failed", e);
        }
    }

    /**
     * The first part of a Responses request that has no chat-completions equivalent, as a parameter path
     * ({@code tools[0].type}, {@code include} ...), or {@code null} when the whole request translates.
     */
    public static String untranslatable(JsonNode request) {
        for (String field : new String[] {"include", "prompt", "max_tool_calls", "prompt_cache_retention",
                "top_logprobs", "conversation", "previous_response_id"}) {
            if (present(request.get(field))) {
                return field;
            }
        }
        JsonNode truncation = request.get("truncation");
        if (present(truncation) && !"disabled".equals(truncation.asText())) {
            return "truncation";
        }
        JsonNode reasoning = request.get("reasoning");
        if (present(reasoning) && present(reasoning.get("summary"))) {
            return "reasoning.summary";
        }
        JsonNode tools = request.get("tools");
        if (present(tools)) {
            for (int i = 0; i < tools.size(); i++) {
                if (!"function".equals(tools.get(i).path("type").asText())) {
                    return "tools[" + i + "].type";
                }
            }
        }
        JsonNode choice = request.get("tool_choice");
        if (present(choice) && !choice.isTextual() && !"function".equals(choice.path("type").asText())) {
            return "tool_choice";
        }
        JsonNode format = request.path("text").path("format");
        if (!format.isMissingNode() && !format.isNull()) {
            String type = format.path("type").asText();
            if (!type.equals("text") && !type.equals("json_object") && !type.equals("json_schema")) {
                return "text.format.type";
            }
        }
        JsonNode input = request.get("input");
        if (input != null && input.isArray()) {
            for (int i = 0; i < input.size(); i++) {
                JsonNode item = input.get(i);
                String type = item.path("type").asText("message");
                switch (type) {
                    case "message" -> {
                        JsonNode content = item.get("content");
                        if (content != null && content.isArray()) {
                            for (int j = 0; j < content.size(); j++) {
                                String part = content.get(j).path("type").asText();
                                if (!part.equals("input_text") && !part.equals("output_text")
                                        && !part.equals("input_image")) {
                                    return "input[" + i + "].content[" + j + "].type";
                                }
                                if (part.equals("input_image") && !content.get(j).path("image_url").isTextual()) {
                                    return "input[" + i + "].content[" + j + "].image_url";
                                }
                            }
                        }
                    }
                    case "function_call", "function_call_output" -> { }
                    default -> {
                        return "input[" + i + "].type";
                    }
                }
            }
        }
        return null;
    }

    private static boolean present(JsonNode node) {
        return node != null && !node.isNull();
    }

    /**
     * The chat completion request for {@code request} (a Responses body as the rewriter wrote it for the route:
     * upstream model name, identity and routing fields removed, {@code store} false). Streams ask for usage.
     */
    public static byte[] request(JsonNode request) {
        ObjectNode chat = JSON.createObjectNode();
        chat.set("model", request.get("model"));
        ArrayNode messages = chat.putArray("messages");
        JsonNode instructions = request.get("instructions");
        if (present(instructions)) {
            messages.addObject().put("role", "system").put("content", instructions.asText());
        }
        JsonNode input = request.get("input");
        if (input.isTextual()) {
            messages.addObject().put("role", "user").put("content", input.asText());
        } else {
            ObjectNode pendingCalls = null;
            for (JsonNode item : input) {
                String type = item.path("type").asText("message");
                if (type.equals("function_call")) {
                    if (pendingCalls == null) {
                        pendingCalls = messages.addObject().put("role", "assistant");
                        pendingCalls.putNull("content");
                        pendingCalls.putArray("tool_calls");
                    }
                    ObjectNode call = ((ArrayNode) pendingCalls.get("tool_calls")).addObject()
                            .put("id", item.path("call_id").asText()).put("type", "function");
                    call.putObject("function").put("name", item.path("name").asText())
                            .put("arguments", item.path("arguments").asText());
                    continue;
                }
                pendingCalls = null;
                if (type.equals("function_call_output")) {
                    JsonNode output = item.path("output");
                    messages.addObject().put("role", "tool").put("tool_call_id", item.path("call_id").asText())
                            .put("content", output.isTextual() ? output.asText() : output.toString());
                    continue;
                }
                messages.add(message(item));
            }
        }
        JsonNode tools = request.get("tools");
        if (present(tools) && !tools.isEmpty()) {
            ArrayNode out = chat.putArray("tools");
            for (JsonNode tool : tools) {
                ObjectNode function = out.addObject().put("type", "function").putObject("function");
                function.set("name", tool.get("name"));
                copy(tool, function, "description", "description");
                copy(tool, function, "parameters", "parameters");
                copy(tool, function, "strict", "strict");
            }
        }
        JsonNode choice = request.get("tool_choice");
        if (present(choice)) {
            if (choice.isTextual()) {
                chat.set("tool_choice", choice);
            } else {
                chat.putObject("tool_choice").put("type", "function").putObject("function")
                        .set("name", choice.get("name"));
            }
        }
        JsonNode format = request.path("text").path("format");
        switch (format.path("type").asText("text")) {
            case "json_object" -> chat.putObject("response_format").put("type", "json_object");
            case "json_schema" -> {
                ObjectNode schema = chat.putObject("response_format").put("type", "json_schema").putObject("json_schema");
                copy(format, schema, "name", "name");
                copy(format, schema, "description", "description");
                copy(format, schema, "schema", "schema");
                copy(format, schema, "strict", "strict");
            }
            default -> { }
        }
        copy(request.path("text"), chat, "verbosity", "verbosity");
        copy(request.path("reasoning"), chat, "effort", "reasoning_effort");
        copy(request, chat, "max_output_tokens", "max_completion_tokens");
        for (String same : new String[] {"temperature", "top_p", "parallel_tool_calls", "service_tier", "user",
                "safety_identifier", "prompt_cache_key", "metadata"}) {
            copy(request, chat, same, same);
        }
        chat.put("store", false);
        if (request.path("stream").asBoolean(false)) {
            chat.put("stream", true);
            chat.putObject("stream_options").put("include_usage", true);
        }
        try {
            return JSON.writeValueAsBytes(chat);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode message(JsonNode item) {
        String role = item.path("role").asText("user");
        ObjectNode message = JSON.createObjectNode().put("role", role);
        JsonNode content = item.get("content");
        if (content == null || content.isTextual()) {
            message.put("content", content == null ? "" : content.asText());
            return message;
        }
        if (role.equals("assistant")) {
            StringBuilder text = new StringBuilder();
            content.forEach(part -> text.append(part.path("text").asText("")));
            message.put("content", text.toString());
            return message;
        }
        ArrayNode parts = message.putArray("content");
        for (JsonNode part : content) {
            if (part.path("type").asText().equals("input_image")) {
                ObjectNode image = parts.addObject().put("type", "image_url").putObject("image_url");
                image.set("url", part.get("image_url"));
                copy(part, image, "detail", "detail");
            } else {
                parts.addObject().put("type", "text").put("text", part.path("text").asText(""));
            }
        }
        return message;
    }

    private static void copy(JsonNode from, ObjectNode to, String field, String as) {
        JsonNode value = from.get(field);
        if (present(value)) {
            to.set(as, value);
        }
    }

    /**
     * The {@code response} object for a whole chat completion answer, naming {@code model} (the client's model id)
     * and billing {@code usage} (the upstream's or Veil's count).
     */
    public static byte[] response(byte[] chatAnswer, String model, TokenCounts usage) {
        JsonNode chat;
        try {
            chat = JSON.readTree(chatAnswer);
        } catch (IOException e) {
            throw new UncheckedIOException("a checked answer failed to parse", e);
        }
        JsonNode choice = chat.path("choices").path(0);
        JsonNode message = choice.path("message");
        String id = chat.path("id").asText("chatcmpl");
        ResponseShape shape = new ResponseShape("resp_" + id, chat.path("created").asLong(System.currentTimeMillis() / 1000),
                model);
        ArrayNode output = JSON.createArrayNode();
        String text = message.path("content").isTextual() ? message.path("content").asText() : null;
        if (text != null) {
            output.add(ResponseShape.message("msg_" + id, text, "completed"));
        }
        for (JsonNode call : message.path("tool_calls")) {
            output.add(ResponseShape.functionCall(call.path("id").asText(), call.path("function").path("name").asText(),
                    call.path("function").path("arguments").asText(), "completed"));
        }
        ObjectNode response = shape.object(choice.path("finish_reason").asText("stop"), output, usage);
        try {
            return JSON.writeValueAsBytes(response);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
