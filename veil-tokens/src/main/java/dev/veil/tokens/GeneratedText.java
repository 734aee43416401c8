package dev.veil.tokens;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Finds the generated text in an OpenAI answer or stream chunk, with the streaming parser: in each of
 * {@code choices[]}, the {@code text} of a completion, and in its {@code message} (a whole answer) or {@code delta}
 * (a stream chunk) the {@code content}, {@code refusal} and reasoning strings ({@code reasoning_content},
 * {@code reasoning}) and each tool call's {@code function.name} and {@code function.arguments}. Each string goes to
 * the consumer as it is read; nothing is kept. Also notes the top-level {@code id}, {@code created} and {@code model}
 * (never content), so that Veil can write a usage chunk that looks like the stream's own.
 */
public final class GeneratedText {

    /** The top-level identifiers of a chunk: {@code null} / -1 when absent. */
    public record Identity(String id, long created, String model) {
        public static final Identity NONE = new Identity(null, -1, null);
    }

    private final JsonFactory json;

    public GeneratedText(JsonFactory json) {
        this.json = json;
    }

    /**
     * Reads one JSON document and hands each generated string to {@code text}.
     *
     * @return the document's identity, or {@link Identity#NONE} when it is not a JSON object
     */
    public Identity read(byte[] document, int offset, int length, Consumer<String> text) {
        try (JsonParser p = json.createParser(document, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Identity.NONE;
            }
            String id = null;
            long created = -1;
            String model = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "choices" -> {
                        if (value == JsonToken.START_ARRAY) {
                            choices(p, text);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "id" -> id = value == JsonToken.VALUE_STRING ? p.getText() : id;
                    case "model" -> model = value == JsonToken.VALUE_STRING ? p.getText() : model;
                    case "created" -> created = value == JsonToken.VALUE_NUMBER_INT && p.getNumberType()
                            != JsonParser.NumberType.BIG_INTEGER ? p.getLongValue() : created;
                    default -> p.skipChildren();
                }
            }
            return new Identity(id, created, model);
        } catch (IOException | RuntimeException e) {
            // Not JSON, or cut short: whatever was read before counts; the rest is not text Veil can count.
            return Identity.NONE;
        }
    }

    private static void choices(JsonParser p, Consumer<String> text) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING && field.equals("text")) {
                    text.accept(p.getText());
                } else if (value == JsonToken.START_OBJECT && (field.equals("delta") || field.equals("message"))) {
                    message(p, text);
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private static void message(JsonParser p, Consumer<String> text) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING && isGenerated(field)) {
                text.accept(p.getText());
            } else if (value == JsonToken.START_ARRAY && field.equals("tool_calls")) {
                toolCalls(p, text);
            } else if (value == JsonToken.START_OBJECT && field.equals("function_call")) {
                function(p, text);
            } else {
                p.skipChildren();
            }
        }
    }

    private static boolean isGenerated(String field) {
        return field.equals("content") || field.equals("refusal") || field.equals("reasoning_content")
                || field.equals("reasoning");
    }

    private static void toolCalls(JsonParser p, Consumer<String> text) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.START_OBJECT && field.equals("function")) {
                    function(p, text);
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    private static void function(JsonParser p, Consumer<String> text) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING && (field.equals("name") || field.equals("arguments"))) {
                text.accept(p.getText());
            } else {
                p.skipChildren();
            }
        }
    }
}
