package dev.veil.protocol.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;

/**
 * Puts the model id the client asked for into an answer: an engine or provider names its own model (the route's
 * upstream model name, e.g. {@code gpt-4o-mini-2024-07-18} or {@code demo-chat}) in the top-level {@code model} member
 * of each answer object and stream event, which would both surprise the client (it asked for Veil's public id) and
 * tell it which route served it beyond what Veil chose to show.
 *
 * <p>Only that one member's value is replaced; every other byte of the answer is kept as the upstream sent it (no
 * re-serialisation), so numbers, escapes and unknown fields pass unchanged. An answer without a top-level string
 * {@code model}, or that is not a JSON object, is returned as it is.
 */
public final class ModelNames {

    private static final JsonFactory JSON = new JsonFactory();

    private ModelNames() {
    }

    /** The quoted JSON string for {@code model}, to pass to {@link #replace(byte[], int, int, byte[])} many times. */
    public static byte[] quoted(String model) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(model);
        byte[] quoted = new byte[escaped.length + 2];
        quoted[0] = '"';
        System.arraycopy(escaped, 0, quoted, 1, escaped.length);
        quoted[quoted.length - 1] = '"';
        return quoted;
    }

    /** {@code json} with its top-level {@code model} string replaced by {@code quotedModel}. */
    public static byte[] replace(byte[] json, byte[] quotedModel) {
        return replace(json, 0, json.length, quotedModel);
    }

    /**
     * The bytes {@code json[from, to)} with the top-level {@code model} string replaced by {@code quotedModel}; the
     * same array (not a copy) when there is nothing to replace.
     */
    public static byte[] replace(byte[] json, int from, int to, byte[] quotedModel) {
        int[] span = modelValueSpan(json, from, to);
        if (span == null) {
            return from == 0 && to == json.length ? json : java.util.Arrays.copyOfRange(json, from, to);
        }
        int start = span[0];
        int end = span[1];
        byte[] out = new byte[(start - from) + quotedModel.length + (to - end)];
        System.arraycopy(json, from, out, 0, start - from);
        System.arraycopy(quotedModel, 0, out, start - from, quotedModel.length);
        System.arraycopy(json, end, out, start - from + quotedModel.length, to - end);
        return out;
    }

    /**
     * {@code json[from, to)} with the top-level {@code model} string replaced by {@code quotedModel}, or {@code null}
     * when it has none (the caller then keeps its bytes as they are, without a copy).
     */
    public static byte[] replaceOrNull(byte[] json, int from, int to, byte[] quotedModel) {
        int[] span = modelValueSpan(json, from, to);
        return span == null ? null : replace(json, from, to, quotedModel);
    }

    /**
     * {@code json[from, to)} with the {@code model} string of its top-level {@code container} object replaced (the
     * Responses API's stream events carry the model in {@code response.model}), or {@code null} when there is none.
     */
    public static byte[] replaceInOrNull(byte[] json, int from, int to, String container, byte[] quotedModel) {
        int[] span = modelValueSpan(json, from, to, container);
        if (span == null) {
            return null;
        }
        byte[] out = new byte[(span[0] - from) + quotedModel.length + (to - span[1])];
        System.arraycopy(json, from, out, 0, span[0] - from);
        System.arraycopy(quotedModel, 0, out, span[0] - from, quotedModel.length);
        System.arraycopy(json, span[1], out, span[0] - from + quotedModel.length, to - span[1]);
        return out;
    }

    /**
     * One whole server-sent event ({@code data: {...}} and its terminating blank line) with its payload's top-level
     * {@code model} replaced; the same array when the event has no such payload ({@code [DONE]}, a comment, an event
     * of several lines that does not start with {@code data:}).
     */
    public static byte[] renameEvent(byte[] event, byte[] quotedModel) {
        if (event.length < 6 || event[0] != 'd' || event[1] != 'a' || event[2] != 't' || event[3] != 'a'
                || event[4] != ':') {
            return event;
        }
        int start = event[5] == ' ' ? 6 : 5;
        int end = event.length;
        while (end > start && (event[end - 1] == '\n' || event[end - 1] == '\r')) {
            end--;
        }
        byte[] payload = replaceOrNull(event, start, end, quotedModel);
        if (payload == null) {
            return event;
        }
        byte[] out = new byte[start + payload.length + (event.length - end)];
        System.arraycopy(event, 0, out, 0, start);
        System.arraycopy(payload, 0, out, start, payload.length);
        System.arraycopy(event, end, out, start + payload.length, event.length - end);
        return out;
    }

    /** The quoted public id to put in a route's answers, or {@code null} when the upstream already uses that name. */
    public static byte[] renaming(String publicModel, String upstreamModel) {
        return publicModel.equals(upstreamModel) ? null : quoted(publicModel);
    }

    /**
     * Where the top-level {@code model} string value lies (start inclusive, end exclusive, both absolute offsets into
     * {@code json}); {@code null} when there is none or the bytes are not a JSON object.
     */
    static int[] modelValueSpan(byte[] json, int from, int to) {
        return modelValueSpan(json, from, to, null);
    }

    /** As above, for the {@code model} member of the top-level {@code container} object when it is not {@code null}. */
    static int[] modelValueSpan(byte[] json, int from, int to, String container) {
        try (JsonParser p = JSON.createParser(json, from, to - from)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            if (container != null) {
                JsonToken t = p.nextToken();
                while (t == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken value = p.nextToken();
                    if (name.equals(container) && value == JsonToken.START_OBJECT) {
                        return modelIn(p, json, from);
                    }
                    p.skipChildren();
                    t = p.nextToken();
                }
                return null;
            }
            return modelIn(p, json, from);
        } catch (IOException e) {
            return null;
        }
    }

    /** The span of the {@code model} string among the members of the object the parser has just opened. */
    private static int[] modelIn(JsonParser p, byte[] json, int from) throws IOException {
        JsonToken t = p.nextToken();
        while (t == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (name.equals("model") && value == JsonToken.VALUE_STRING) {
                int start = from + (int) p.currentTokenLocation().getByteOffset();
                p.finishToken();
                int end = from + (int) p.currentLocation().getByteOffset();
                return json[start] == '"' && json[end - 1] == '"' ? new int[] {start, end} : null;
            }
            p.skipChildren();
            t = p.nextToken();
        }
        return null;
    }
}
