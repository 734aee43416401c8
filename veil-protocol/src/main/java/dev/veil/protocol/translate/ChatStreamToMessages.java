package dev.veil.protocol.translate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Turns a chat completion stream, chunk by chunk, into the Messages event sequence: {@code message_start}, for each
 * text or tool call a {@code content_block_start}, its {@code content_block_delta}s ({@code text_delta},
 * {@code input_json_delta}) and {@code content_block_stop}, then {@code message_delta} (stop reason and usage) and
 * {@code message_stop}. Every chunk is translated as it arrives (nothing aggregated beyond the open block's index).
 * Chunks that are not chat chunks (another event type, a comment) are ignored, as SSE clients ignore unknown events.
 * One per stream; confined to its event loop.
 */
public final class ChatStreamToMessages {

    private static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private final String model;
    private final String messageId;
    private boolean started;
    /** Index of the open content block, -1 when none; blocks are numbered from 0 in order. */
    private int openBlock = -1;
    private int nextBlock;
    /** The chat tool call index the open block belongs to, -1 for a text block. */
    private int openToolCall = -1;
    private boolean openIsText;
    private String finishReason;
    private long promptTokens = -1;
    private long completionTokens = -1;
    private boolean done;

    /**
     * @param model     the public model id the client asked for
     * @param messageId the message id to give the stream
     */
    public ChatStreamToMessages(String model, String messageId) {
        this.model = model;
        this.messageId = messageId;
    }

    /** Whether {@code data: [DONE]} arrived. */
    public boolean done() {
        return done;
    }

    /** The upstream's prompt token count, or -1 when it sent none (yet). */
    public long promptTokens() {
        return promptTokens;
    }

    /** The upstream's completion token count, or -1 when it sent none (yet). */
    public long completionTokens() {
        return completionTokens;
    }

    /**
     * Translates one chat event's {@code data} payload.
     *
     * @return the Messages events to send now (possibly none)
     * @throws MessagesTranslation.MalformedAnswer when the payload is not JSON
     */
    public byte[] accept(String data) throws MessagesTranslation.MalformedAnswer {
        if (data.equals("[DONE]")) {
            done = true;
            return new byte[0];
        }
        JsonNode chunk;
        try {
            chunk = MessagesTranslation.MAPPER.readTree(data);
        } catch (IOException e) {
            throw new MessagesTranslation.MalformedAnswer("a stream event that is not JSON");
        }
        if (chunk == null || !chunk.isObject()) {
            throw new MessagesTranslation.MalformedAnswer("a stream event that is not a JSON object");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        JsonNode usage = chunk.path("usage");
        if (usage.isObject()) {
            long prompt = usage.path("prompt_tokens").asLong(-1);
            long completion = usage.path("completion_tokens").asLong(-1);
            if (prompt >= 0 && prompt <= Integer.MAX_VALUE && completion >= 0 && completion <= Integer.MAX_VALUE) {
                promptTokens = prompt;
                completionTokens = completion;
            }
        }
        JsonNode choice = chunk.path("choices").path(0);
        if (!choice.isObject()) {
            return out.toByteArray();
        }
        start(out);
        JsonNode delta = choice.path("delta");
        JsonNode text = delta.path("content");
        if (text.isTextual() && !text.asText().isEmpty()) {
            if (openBlock < 0 || !openIsText) {
                closeBlock(out);
                openBlock = nextBlock++;
                openIsText = true;
                openToolCall = -1;
                ObjectNode block = NODES.objectNode().put("type", "text").put("text", "");
                event(out, "content_block_start", NODES.objectNode().put("type", "content_block_start")
                        .put("index", openBlock).set("content_block", block));
            }
            ObjectNode d = NODES.objectNode().put("type", "text_delta");
            d.set("text", text);
            event(out, "content_block_delta", NODES.objectNode().put("type", "content_block_delta")
                    .put("index", openBlock).set("delta", d));
        }
        for (JsonNode call : delta.path("tool_calls")) {
            int index = call.path("index").asInt(0);
            if (openBlock < 0 || openIsText || openToolCall != index) {
                closeBlock(out);
                openBlock = nextBlock++;
                openIsText = false;
                openToolCall = index;
                ObjectNode block = NODES.objectNode().put("type", "tool_use").put("id", call.path("id").asText(""))
                        .put("name", call.path("function").path("name").asText(""));
                block.putObject("input");
                event(out, "content_block_start", NODES.objectNode().put("type", "content_block_start")
                        .put("index", openBlock).set("content_block", block));
            }
            JsonNode arguments = call.path("function").path("arguments");
            if (arguments.isTextual() && !arguments.asText().isEmpty()) {
                ObjectNode d = NODES.objectNode().put("type", "input_json_delta");
                d.set("partial_json", arguments);
                event(out, "content_block_delta", NODES.objectNode().put("type", "content_block_delta")
                        .put("index", openBlock).set("delta", d));
            }
        }
        if (choice.path("finish_reason").isTextual()) {
            finishReason = choice.get("finish_reason").asText();
        }
        return out.toByteArray();
    }

    /**
     * The closing events once the upstream's stream is complete: the open block's stop, {@code message_delta} with
     * the stop reason and the billed usage, and {@code message_stop}.
     */
    public byte[] finish(long inputTokens, long outputTokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        start(out);
        closeBlock(out);
        ObjectNode delta = NODES.objectNode().put("stop_reason", MessagesTranslation.stopReason(finishReason));
        delta.putNull("stop_sequence");
        ObjectNode message = NODES.objectNode().put("type", "message_delta");
        message.set("delta", delta);
        message.putObject("usage").put("input_tokens", inputTokens).put("output_tokens", outputTokens);
        event(out, "message_delta", message);
        event(out, "message_stop", NODES.objectNode().put("type", "message_stop"));
        return out.toByteArray();
    }

    private void start(ByteArrayOutputStream out) {
        if (started) {
            return;
        }
        started = true;
        ObjectNode message = NODES.objectNode().put("id", messageId).put("type", "message").put("role", "assistant")
                .put("model", model);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        // Chat upstreams report usage only at the end; message_delta carries the counts.
        message.putObject("usage").put("input_tokens", 0).put("output_tokens", 0);
        event(out, "message_start", NODES.objectNode().put("type", "message_start").set("message", message));
    }

    private void closeBlock(ByteArrayOutputStream out) {
        if (openBlock >= 0) {
            event(out, "content_block_stop", NODES.objectNode().put("type", "content_block_stop").put("index", openBlock));
            openBlock = -1;
        }
    }

    private static void event(ByteArrayOutputStream out, String type, ObjectNode data) {
        out.writeBytes(("event: " + type + "\ndata: ").getBytes(StandardCharsets.US_ASCII));
        try {
            out.writeBytes(MessagesTranslation.MAPPER.writeValueAsBytes(data));
        } catch (IOException e) {
            throw new IllegalStateException("writing a tree failed");
        }
        out.write('\n');
        out.write('\n');
    }
}
