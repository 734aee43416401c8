package dev.veil.protocol.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a chat completion stream into the Responses API's event sequence, event by event as the chunks arrive:
 * {@code response.created} and {@code response.in_progress} on the first chunk; for text an
 * {@code output_item.added} and {@code content_part.added}, then one {@code output_text.delta} per content delta; for
 * each tool call an {@code output_item.added} and one {@code function_call_arguments.delta} per arguments fragment;
 * and at the end ({@link #finish(TokenCounts)}, once the usage is known) the {@code .done} events of every item and
 * {@code response.completed} (or {@code response.incomplete} after a {@code length} finish) carrying the usage.
 * Input is whole SSE events (as the gateway's relay and the node pass them on); {@code [DONE]}, comments and the
 * usage chunk produce nothing. Keeps the answer's text until the end (the closing events repeat it, as OpenAI's do),
 * bounded by what the relay already bounds. Not thread-safe: one stream.
 */
public final class ChatToResponsesStream {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String model;
    private ResponseShape shape;
    private String id;
    private long sequence;
    private String finishReason;
    /** The text item, or {@code null} before the first content delta. */
    private Item text;
    /** Tool call items by their chat index. */
    private final List<Item> calls = new ArrayList<>();
    private final List<Item> items = new ArrayList<>();

    private static final class Item {
        final int outputIndex;
        final String id;
        final boolean function;
        String callId;
        String name;
        final StringBuilder content = new StringBuilder();

        Item(int outputIndex, String id, boolean function) {
            this.outputIndex = outputIndex;
            this.id = id;
            this.function = function;
        }
    }

    /** @param model the client's model id, named in every response object */
    public ChatToResponsesStream(String model) {
        this.model = model;
    }

    /** The events to send for {@code chatEvents} (complete chat SSE events); possibly empty. */
    public byte[] accept(byte[] chatEvents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String all = new String(chatEvents, StandardCharsets.UTF_8);
        for (String event : all.split("\r?\n\r?\n")) {
            for (String line : event.split("\r?\n")) {
                if (line.startsWith("data:")) {
                    String data = line.substring(line.length() > 5 && line.charAt(5) == ' ' ? 6 : 5);
                    if (!data.startsWith("[DONE]")) {
                        chunk(data, out);
                    }
                }
            }
        }
        return out.toByteArray();
    }

    private void chunk(String data, ByteArrayOutputStream out) {
        JsonNode chunk;
        try {
            chunk = JSON.readTree(data);
        } catch (IOException e) {
            return;
        }
        if (chunk == null || !chunk.isObject()) {
            return;
        }
        start(chunk, out);
        for (JsonNode choice : chunk.path("choices")) {
            JsonNode delta = choice.path("delta");
            JsonNode content = delta.path("content");
            if (content.isTextual() && !content.asText().isEmpty()) {
                if (text == null) {
                    text = new Item(items.size(), "msg_" + id, false);
                    items.add(text);
                    emit(out, event("response.output_item.added").put("output_index", text.outputIndex)
                            .set("item", ResponseShape.message(text.id, null, "in_progress")));
                    emit(out, event("response.content_part.added").put("item_id", text.id)
                            .put("output_index", text.outputIndex).put("content_index", 0)
                            .set("part", ResponseShape.outputText("")));
                }
                text.content.append(content.asText());
                emit(out, event("response.output_text.delta").put("item_id", text.id).put("output_index", text.outputIndex)
                        .put("content_index", 0).put("delta", content.asText()));
            }
            for (JsonNode call : delta.path("tool_calls")) {
                int index = call.path("index").asInt(calls.size());
                while (calls.size() <= index) {
                    calls.add(null);
                }
                Item item = calls.get(index);
                if (item == null) {
                    String callId = call.path("id").asText("call_" + index);
                    item = new Item(items.size(), "fc_" + callId, true);
                    item.callId = callId;
                    item.name = call.path("function").path("name").asText("");
                    calls.set(index, item);
                    items.add(item);
                    emit(out, event("response.output_item.added").put("output_index", item.outputIndex)
                            .set("item", ResponseShape.functionCall(item.callId, item.name, "", "in_progress")));
                }
                String fragment = call.path("function").path("arguments").asText("");
                if (!fragment.isEmpty()) {
                    item.content.append(fragment);
                    emit(out, event("response.function_call_arguments.delta").put("item_id", item.id)
                            .put("output_index", item.outputIndex).put("delta", fragment));
                }
            }
            if (choice.path("finish_reason").isTextual()) {
                finishReason = choice.path("finish_reason").asText();
            }
        }
    }

    private void start(JsonNode chunk, ByteArrayOutputStream out) {
        if (shape != null) {
            return;
        }
        id = chunk.path("id").asText("chatcmpl");
        shape = new ResponseShape("resp_" + id, chunk.path("created").asLong(System.currentTimeMillis() / 1000), model);
        ObjectNode opening = shape.object(null, JSON.createArrayNode(), null);
        emit(out, event("response.created").set("response", opening));
        emit(out, event("response.in_progress").set("response", opening));
    }

    /** The closing events, with {@code usage} in the final {@code response.completed} (or {@code .incomplete}). */
    public byte[] finish(TokenCounts usage) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (shape == null) {
            id = "chatcmpl";
            shape = new ResponseShape("resp_" + id, System.currentTimeMillis() / 1000, model);
            ObjectNode opening = shape.object(null, JSON.createArrayNode(), null);
            emit(out, event("response.created").set("response", opening));
            emit(out, event("response.in_progress").set("response", opening));
        }
        ArrayNode output = JSON.createArrayNode();
        for (Item item : items) {
            ObjectNode done;
            if (item.function) {
                emit(out, event("response.function_call_arguments.done").put("item_id", item.id)
                        .put("output_index", item.outputIndex).put("arguments", item.content.toString()));
                done = ResponseShape.functionCall(item.callId, item.name, item.content.toString(), "completed");
            } else {
                String whole = item.content.toString();
                emit(out, event("response.output_text.done").put("item_id", item.id).put("output_index", item.outputIndex)
                        .put("content_index", 0).put("text", whole));
                emit(out, event("response.content_part.done").put("item_id", item.id)
                        .put("output_index", item.outputIndex).put("content_index", 0)
                        .set("part", ResponseShape.outputText(whole)));
                done = ResponseShape.message(item.id, whole, "completed");
            }
            emit(out, event("response.output_item.done").put("output_index", item.outputIndex).set("item", done));
            output.add(done);
        }
        String finish = finishReason == null ? "stop" : finishReason;
        ObjectNode response = shape.object(finish, output, usage);
        emit(out, event(finish.equals("length") ? "response.incomplete" : "response.completed").set("response", response));
        return out.toByteArray();
    }

    /** How many events were sent: the next event's sequence number. */
    public long sequence() {
        return sequence;
    }

    private static ObjectNode event(String type) {
        return JSON.createObjectNode().put("type", type);
    }

    private void emit(ByteArrayOutputStream out, ObjectNode event) {
        event.put("sequence_number", sequence++);
        try {
            out.writeBytes(("event: " + event.path("type").asText() + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(JSON.writeValueAsBytes(event));
            out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
