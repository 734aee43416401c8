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
     * Where the top-level {@code model} string value lies (start inclusive, end exclusive, both absolute offsets into
     * {@code json}); {@code null} when there is none or the bytes are not a JSON object.
     */
    static int[] modelValueSpan(byte[] json, int from, int to) {
        try (JsonParser p = JSON.createParser(json, from, to - from)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
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
        } catch (IOException e) {
            return null;
        }
    }
}
