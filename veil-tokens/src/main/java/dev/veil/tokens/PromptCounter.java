package dev.veil.tokens;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Counts the prompt tokens of an OpenAI request body, for when the upstream reports none, in one pass of the
 * streaming parser that keeps no text:
 * <ul>
 *   <li>{@code messages} (chat) as OpenAI's cookbook counts them for its chat models: {@value #TOKENS_PER_MESSAGE}
 *       tokens per message, every string value of a message counted ({@code role}, {@code content}, {@code name},
 *       {@code tool_call_id} ...), one more for a {@code name}, and {@value #REPLY_PRIMING} for the primed reply. Of a
 *       content array, the text parts count (images, audio and files do not); of an assistant's {@code tool_calls},
 *       each function's name and arguments.</li>
 *   <li>{@code tools} and {@code functions} (chat) as the tokens of their JSON text: an approximation, since OpenAI
 *       renders them in a form of its own.</li>
 *   <li>{@code prompt} (completions) and {@code input} (embeddings): a string, an array of strings, or token ids
 *       (an array of integers, or of integer arrays), which count one token each.</li>
 * </ul>
 * With {@link Tokenizer#ESTIMATE} the text is estimated from its UTF-8 length and the per-message overheads still apply.
 */
public final class PromptCounter {

    static final int TOKENS_PER_MESSAGE = 3;
    static final int TOKENS_PER_NAME = 1;
    static final int REPLY_PRIMING = 3;

    private final JsonFactory json;

    public PromptCounter(JsonFactory json) {
        this.json = json;
    }

    /** The prompt tokens of {@code body}; 0 when it is not a JSON object (it was validated before, so never). */
    public long count(byte[] body, Tokenizer tokenizer) {
        Sum sum = new Sum(tokenizer);
        try (JsonParser p = json.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return 0;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "messages" -> {
                        if (value == JsonToken.START_ARRAY) {
                            messages(p, sum);
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "prompt", "input" -> inputs(p, value, sum);
                    case "tools", "functions" -> {
                        int start = (int) p.currentTokenLocation().getByteOffset();
                        p.skipChildren();
                        int end = (int) p.currentLocation().getByteOffset();
                        if (start >= 0 && end > start && end <= body.length) {
                            sum.text(new String(body, start, end - start, StandardCharsets.UTF_8));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // The gateway validated the body before; whatever was counted stands.
        }
        return sum.total();
    }

    private static void messages(JsonParser p, Sum sum) throws IOException {
        JsonToken t;
        boolean any = false;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            any = true;
            sum.tokens(TOKENS_PER_MESSAGE);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_STRING) {
                    sum.text(p.getText());
                    if (field.equals("name")) {
                        sum.tokens(TOKENS_PER_NAME);
                    }
                } else if (value == JsonToken.START_ARRAY && field.equals("content")) {
                    contentParts(p, sum);
                } else if (value == JsonToken.START_ARRAY && field.equals("tool_calls")) {
                    toolCalls(p, sum);
                } else if (value == JsonToken.START_OBJECT && field.equals("function_call")) {
                    strings(p, sum, "name", "arguments");
                } else {
                    p.skipChildren();
                }
            }
        }
        if (any) {
            sum.tokens(REPLY_PRIMING);
        }
    }

    private static void contentParts(JsonParser p, Sum sum) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            if (t == JsonToken.START_OBJECT) {
                strings(p, sum, "text", "refusal");
            } else {
                p.skipChildren();
            }
        }
    }

    private static void toolCalls(JsonParser p, Sum sum) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (p.nextToken() == JsonToken.START_OBJECT && field.equals("function")) {
                    strings(p, sum, "name", "arguments");
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    /** Counts the named string members of the object the parser is in, skipping the rest; leaves it on END_OBJECT. */
    private static void strings(JsonParser p, Sum sum, String first, String second) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            if (value == JsonToken.VALUE_STRING && (field.equals(first) || field.equals(second))) {
                sum.text(p.getText());
            } else {
                p.skipChildren();
            }
        }
    }

    /** A prompt or input: a string, token ids, or an array of either. */
    private static void inputs(JsonParser p, JsonToken value, Sum sum) throws IOException {
        if (value == JsonToken.VALUE_STRING) {
            sum.text(p.getText());
        } else if (value == JsonToken.START_ARRAY) {
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
                if (t == JsonToken.VALUE_STRING) {
                    sum.text(p.getText());
                } else if (t == JsonToken.VALUE_NUMBER_INT) {
                    sum.tokens(1);
                } else if (t == JsonToken.START_ARRAY) {
                    inputs(p, t, sum);
                } else {
                    p.skipChildren();
                }
            }
        } else {
            p.skipChildren();
        }
    }

    /** Token counts and, for the estimate, the bytes of text, summed over one request. */
    private static final class Sum {
        private final Tokenizer tokenizer;
        private long tokens;
        private long textBytes;

        Sum(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
        }

        void tokens(long n) {
            tokens += n;
        }

        void text(String text) {
            if (tokenizer.encodes()) {
                tokens += tokenizer.count(text);
            } else {
                textBytes += Tokenizer.utf8Length(text);
            }
        }

        long total() {
            return tokens + Tokenizer.estimate(textBytes);
        }
    }
}
