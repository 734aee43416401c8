package dev.veil.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * ({@link #heldDone()}) for the node's own usage chunk. Not thread-safe: one response.
 */
final class UsageCounter {

    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);

    private final ObjectMapper json;
    private final boolean clientWantsUsage;
    private final CompletionCounter completion;
    private long promptTokens;
    private long completionTokens;
    private boolean usageSeen;
    private boolean sawDone;
    private boolean heldDone;

    /** @param completion counts the generated text while the engine's usage has not shown up */
    UsageCounter(ObjectMapper json, boolean clientWantsUsage, CompletionCounter completion) {
        this.json = json;
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
        String payload = new String(event, start, end - start, StandardCharsets.UTF_8).trim();
        if (payload.equals("[DONE]")) {
            sawDone = true;
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

    /** Whether the stream ended properly with {@code data: [DONE]}. */
    boolean sawDone() {
        return sawDone;
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
        promptTokens = Math.max(0, usage.path("prompt_tokens").asLong(0));
        completionTokens = Math.max(0, usage.path("completion_tokens").asLong(0));
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
