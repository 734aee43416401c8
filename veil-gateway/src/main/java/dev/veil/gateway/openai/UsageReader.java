package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.protocol.api.Endpoint.UsageFields;
import java.io.IOException;

/**
 * Reads the top-level {@code usage} object of an OpenAI response or stream chunk with the streaming parser, skipping
 * everything else unread. Content is never materialised as strings. The names of the counts are the endpoint's
 * ({@link UsageFields}: {@code prompt_tokens}/{@code completion_tokens} for chat, {@code input_tokens}/
 * {@code output_tokens} for the Responses API); methods without them read chat's.
 */
public final class UsageReader {

    /** What one JSON document said about usage. */
    public record Found(Usage usage, boolean emptyChoices) {
    }

    private final JsonFactory json;

    public UsageReader(JsonFactory json) {
        this.json = json;
    }

    private static final byte[] USAGE_KEY = "\"usage\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * The usage in a whole JSON document, or {@code null} when there is none (or the document is not JSON).
     * OpenAI-compatible servers put {@code usage} last, so the tail from its last occurrence is parsed first (as
     * {@code {"usage":...}}); when that is not a well-formed top-level tail the whole document is scanned.
     */
    public Usage read(byte[] document, int offset, int length) {
        return read(document, offset, length, UsageFields.PROMPT_COMPLETION);
    }

    /** As {@link #read(byte[], int, int)}, with the endpoint's names of the counts. */
    public Usage read(byte[] document, int offset, int length, UsageFields fields) {
        int at = lastIndexOf(document, offset, length, USAGE_KEY);
        if (at > offset) {
            byte[] tail = new byte[1 + offset + length - at];
            tail[0] = '{';
            System.arraycopy(document, at, tail, 1, tail.length - 1);
            Found found = scan(tail, 0, tail.length, true, fields);
            if (found != null) {
                return found.usage();
            }
        }
        Found found = scan(document, offset, length, false, fields);
        return found == null ? null : found.usage();
    }

    private static int lastIndexOf(byte[] data, int offset, int length, byte[] needle) {
        outer:
        for (int i = offset + length - needle.length; i >= offset; i--) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Scans one document for {@code usage} and for an empty {@code choices} array (the shape of the final usage chunk
     * of a stream). Returns {@code null} when the document has no non-null usage or is not a JSON object.
     */
    public Found scan(byte[] document, int offset, int length) {
        return scan(document, offset, length, false, UsageFields.PROMPT_COMPLETION);
    }

    /** With {@code exact}, the object must end the input (so a nested {@code "usage"} key cannot be mistaken). */
    private Found scan(byte[] document, int offset, int length, boolean exact, UsageFields fields) {
        try (JsonParser p = json.createParser(document, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            Usage usage = null;
            boolean emptyChoices = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("usage") && value == JsonToken.START_OBJECT) {
                    // Out-of-range counts read as no usage: the stream is billed by its estimate instead.
                    usage = readUsageObject(p, fields);
                } else if (field.equals("choices") && value == JsonToken.START_ARRAY) {
                    emptyChoices = p.nextToken() == JsonToken.END_ARRAY;
                    if (!emptyChoices) {
                        p.skipChildren();
                        while (p.nextToken() != JsonToken.END_ARRAY) {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (exact && (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null)) {
                return null;
            }
            return usage == null ? null : new Found(usage, emptyChoices);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Parses a whole answer once, checking that it is exactly one well-formed JSON object, and returns its top-level
     * usage ({@code null} when it has none). This is the only parse of a whole answer on the relay path.
     *
     * @throws Malformed when the body is not one JSON object, or its usage counts are out of range
     */
    public Usage readChecked(byte[] document, int offset, int length) throws Malformed {
        return readChecked(document, offset, length, UsageFields.PROMPT_COMPLETION);
    }

    /** As {@link #readChecked(byte[], int, int)}, with the endpoint's names of the counts. */
    public Usage readChecked(byte[] document, int offset, int length, UsageFields fields) throws Malformed {
        try (JsonParser p = json.createParser(document, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new Malformed("not a JSON object");
            }
            Usage usage = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.START_OBJECT && field.equals("usage")) {
                    usage = readUsageObject(p, fields);
                    if (usage == null) {
                        throw new Malformed("usage counts out of range");
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                throw new Malformed("not one JSON object");
            }
            return usage;
        } catch (IOException | RuntimeException e) {
            throw new Malformed("invalid JSON");
        }
    }

    /** A typed stream event: its {@code type} and the usage of its {@code response} object, when it has one. */
    public record TypedEvent(String type, Usage usage) {
    }

    /**
     * Reads a typed stream event (the Responses API's {@code {"type": "...", "response": {..., "usage": {...}}}}):
     * its top-level {@code type} and the usage in its {@code response} object. Returns {@code null} when the document
     * is not a JSON object with a string {@code type}; the usage is {@code null} when absent or out of range.
     */
    public TypedEvent typedEvent(byte[] document, int offset, int length, UsageFields fields) {
        try (JsonParser p = json.createParser(document, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            String type = null;
            Usage usage = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("type") && value == JsonToken.VALUE_STRING) {
                    type = p.getText();
                } else if (field.equals("response") && value == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String inner = p.currentName();
                        JsonToken v = p.nextToken();
                        if (inner.equals("usage") && v == JsonToken.START_OBJECT) {
                            usage = readUsageObject(p, fields);
                        } else {
                            p.skipChildren();
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
            return type == null ? null : new TypedEvent(type, usage);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** A whole answer that is not one well-formed JSON object with usage counts in range. Carries no content. */
    public static final class Malformed extends Exception {
        public Malformed(String what) {
            super(what, null, false, false);
        }
    }

    /**
     * The usage object's counts, or {@code null} when one is out of range: negative, not an integer that fits a long,
     * or above {@link Usage#MAX_TOKENS}. Counts beyond that are no real answer's; accepting them would let a broken or
     * hostile upstream overflow the ledger and the limiter.
     */
    private static Usage readUsageObject(JsonParser p, UsageFields fields) throws IOException {
        long prompt = 0;
        long completion = 0;
        long total = -1;
        boolean inRange = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.VALUE_NUMBER_INT) {
                long count = p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? -1 : p.getLongValue();
                boolean counted = true;
                if (name.equals(fields.input())) {
                    prompt = count;
                } else if (name.equals(fields.output())) {
                    completion = count;
                } else if (name.equals("total_tokens")) {
                    total = count;
                } else {
                    counted = false;
                }
                if (counted && (count < 0 || count > Usage.MAX_TOKENS)) {
                    inRange = false;
                }
            } else {
                p.skipChildren();
            }
        }
        if (!inRange) {
            return null;
        }
        return new Usage(prompt, completion, total < 0 ? prompt + completion : total);
    }
}
