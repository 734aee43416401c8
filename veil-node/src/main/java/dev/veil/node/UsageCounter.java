package dev.veil.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.api.Endpoint;
import dev.veil.tokens.CompletionCounter;
import dev.veil.tokens.GeneratedText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the token counts the node signs into its receipt, from a whole JSON answer or event by event from a stream.
 * In a stream it also decides whether each event goes to the client: the final usage-only event (empty
 * {@code choices}, non-null {@code usage}) is dropped unless the client asked for usage, since the node asks the
 * engine for it in every stream to bill. Until the engine's usage shows up, the generated text is counted
 * ({@link CompletionCounter}), so that an engine that reports none is billed by the node's own count, marked estimated,
 * never one token per event; and when the client asked for usage and none came, {@code [DONE]} is held back
 * ({@link #heldDone()}) for the node's own usage chunk.
 *
 * <p>The engine's endpoint description says where its usage is and how its stream ends: chat-style streams end with
 * {@code [DONE]} and carry usage in a final chunk; the Responses API's in its terminal event's {@code response.usage};
 * Anthropic's Messages API in {@code message_start} and the cumulative {@code message_delta} (cache reads and
 * writes count as input). Typed streams pass every event on. Not thread-safe: one response.
 */
final class UsageCounter {

    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper json;
    private final boolean clientWantsUsage;
    private final CompletionCounter completion;
    private final Endpoint engine;
    private long promptTokens;
    private long completionTokens;
    private boolean usageSeen;
    private boolean ended;
    private boolean heldDone;

    /**
     * @param completion counts the generated text while the engine's usage has not shown up
     * @param engine     the endpoint the engine answers (chat completions when the node translates)
     */
    UsageCounter(ObjectMapper json, boolean clientWantsUsage, CompletionCounter completion, Endpoint engine) {
        this.json = json;
        this.engine = engine;
        this.clientWantsUsage = clientWantsUsage;
        this.completion = completion;
    }

    /**
     * Reads {@code usage} from a whole JSON answer.
     *
     * @return whether it had usage; when not, the caller counts the answer (off the event loop: it may be large)
     */
    boolean readWhole(byte[] body) {
        try {
            return record(json.readTree(body));
        } catch (IOException | RuntimeException e) {
            // Not JSON (an engine's plain-text error page).
            return false;
        }
    }

    /** Looks at one complete SSE event and returns whether it is forwarded to the client. */
    boolean acceptEvent(byte[] event) {
        int start = dataPayloadStart(event);
        if (start < 0) {
            return true;
        }
        int end = lineEnd(event, start);
        if (engine.streaming() != null && !engine.streaming().endsWithSentinel()) {
            acceptTyped(event, start, end);
            return true;
        }
        String payload = new String(event, start, end - start, StandardCharsets.UTF_8).trim();
        if (payload.equals("[DONE]")) {
            ended = true;
            if (!usageSeen && clientWantsUsage) {
                heldDone = true;
                return false;
            }
            return true;
        }
        if (!usageSeen) {
            completion.accept(event, start, end - start);
        }
        if (indexOf(event, start, end, USAGE) < 0) {
            return true;
        }
        JsonNode node;
        try {
            node = json.readTree(payload);
        } catch (IOException e) {
            return true;
        }
        boolean hasUsage = record(node);
        JsonNode choices = node.path("choices");
        if (hasUsage && choices.isArray() && choices.isEmpty()) {
            return clientWantsUsage;
        }
        return true;
    }

    /** Prompt tokens as the engine reported them; 0 when it did not ({@link #estimated()}: the caller counts them). */
    long promptTokens() {
        return promptTokens;
    }

    /** Completion tokens as the engine reported them, else the node's count of the text generated so far. */
    long completionTokens() {
        return usageSeen ? completionTokens : completion.tokens();
    }

    /** Whether the engine reported no usage, so the counts are the node's own. */
    boolean estimated() {
        return !usageSeen;
    }

    /** Whether the stream ended properly: {@code data: [DONE]}, or one of its endpoint's terminal events. */
    boolean ended() {
        return ended;
    }

    /** One event of a typed stream (Responses, Messages): its end, and its usage where its endpoint puts it. */
    private void acceptTyped(byte[] event, int start, int end) {
        if (!usageSeen) {
            completion.accept(event, start, end - start);
        }
        JsonNode node;
        try {
            node = json.readTree(new String(event, start, end - start, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return;
        }
        String type = node == null ? "" : node.path("type").asText("");
        Endpoint.Streaming streaming = engine.streaming();
        if (streaming.terminalEvents().contains(type)) {
            ended = true;
        }
        switch (streaming.usagePlacement()) {
            case TERMINAL_EVENT_RESPONSE -> {
                if (streaming.terminalEvents().contains(type)) {
                    record(node.path("response"));
                }
            }
            case MESSAGE_START_AND_DELTA -> {
                if (type.equals("message_start")) {
                    record(node.path("message"));
                } else if (type.equals("message_delta") && node.path("usage").isObject()) {
                    JsonNode usage = node.get("usage");
                    usageSeen = true;
                    completionTokens = Math.max(0, usage.path(engine.usage().output()).asLong(completionTokens));
                    if (usage.has(engine.usage().input())) {
                        promptTokens = input(usage);
                    }
                }
            }
            case CHUNK -> record(node);
        }
    }

    /** The input count of a usage object; for the Messages API cache writes and reads count as input too. */
    private long input(JsonNode usage) {
        long input = Math.max(0, usage.path(engine.usage().input()).asLong(0));
        if (Endpoint.API_MESSAGES.equals(engine.api())) {
            input += Math.max(0, usage.path("cache_creation_input_tokens").asLong(0))
                    + Math.max(0, usage.path("cache_read_input_tokens").asLong(0));
        }
        return input;
    }

    /**
     * Whether {@code [DONE]} came with no usage before it while the client asked for usage: it was not forwarded, and
     * the caller sends the node's usage chunk and then {@code [DONE]}.
     */
    boolean heldDone() {
        return heldDone;
    }

    /** The stream's {@code id}, {@code created} and {@code model}, for a usage chunk that continues it. */
    GeneratedText.Identity identity() {
        return completion.identity();
    }

    private boolean record(JsonNode node) {
        JsonNode usage = node == null ? null : node.get("usage");
        if (usage == null || !usage.isObject()) {
            return false;
        }
        usageSeen = true;
        promptTokens = input(usage);
        completionTokens = Math.max(0, usage.path(engine.usage().output()).asLong(0));
        return true;
    }

    /** Where the value of the event's first {@code data:} line starts, or -1 when it has none. */
    private static int dataPayloadStart(byte[] d) {
        int line = 0;
        while (line < d.length) {
            if (d.length - line >= 5 && d[line] == 'd' && d[line + 1] == 'a' && d[line + 2] == 't' && d[line + 3] == 'a'
                    && d[line + 4] == ':') {
                int p = line + 5;
                return p < d.length && d[p] == ' ' ? p + 1 : p;
            }
            while (line < d.length && d[line] != '\n') {
                line++;
            }
            line++;
        }
        return -1;
    }

    private static int lineEnd(byte[] d, int from) {
        int i = from;
        while (i < d.length && d[i] != '\n' && d[i] != '\r') {
            i++;
        }
        return i;
    }

    private static int indexOf(byte[] data, int from, int end, byte[] needle) {
        outer:
        for (int i = from; i <= end - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
