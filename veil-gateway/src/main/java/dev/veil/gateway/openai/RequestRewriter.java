package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import dev.veil.protocol.policy.ForwardRules;
import dev.veil.protocol.policy.RequestFields;

/**
 * Rewrites a validated request body for the upstream in one streaming pass, following {@link RequestFields} and the
 * route's {@link ForwardRules}: the public model id becomes the route's upstream model name, routing fields and the
 * fields that identify the caller are dropped (unless the route allows them), {@code store} is sent as {@code false},
 * and streams ask for the final usage chunk.
 *
 * <p>Every forwarded member (tools, response_format, images, logprobs ...) is copied as the client's own bytes: the parser only finds where each top-level member starts and ends, nothing is decoded and
 * re-encoded. So numbers keep their text ({@code 0.30000000000000000000000000001} and {@code 1e400} reach the
 * upstream as sent, not as a rounded double or {@code "Infinity"}), string escapes stay as written, and copying costs
 * an array copy rather than a re-serialisation.
 */
public final class RequestRewriter {

    private static final byte[] MODEL_NAME = ascii("\"model\":");
    private static final byte[] STREAM_OPTIONS_NAME = ascii("\"stream_options\":");
    private static final byte[] INCLUDE_USAGE_TRUE = ascii("\"include_usage\":true");
    private static final byte[] STORE_FALSE = ascii("\"store\":false");

    private final JsonFactory json;

    public RequestRewriter(JsonFactory json) {
        this.json = json;
    }

    /** Produces the upstream body for a route with the default {@link ForwardRules}. */
    public byte[] rewrite(byte[] body, InferenceRequest request, String upstreamModel) {
        return rewrite(body, request, upstreamModel, ForwardRules.DEFAULT, true);
    }

    /**
     * Produces the upstream body.
     *
     * @param body          the client's body, already accepted by {@link RequestInspector}
     * @param request       what the inspector found
     * @param upstreamModel the model name the route's upstream knows
     * @param rules         what the route's operator allows beyond the documented fields
     * @param askForUsage   false leaves {@code stream_options} as the client sent it (a Veil node asks its engine for
     *                      usage itself and signs the counts)
     *
     * <p>A body without {@code model} (OpenRouter's {@code models}-only form) gets one, naming {@code upstreamModel}:
     * every upstream needs it, and each candidate route has its own.
     */
    public byte[] rewrite(byte[] body, InferenceRequest request, String upstreamModel, ForwardRules rules,
                          boolean askForUsage) {
        // Only endpoints whose streams carry usage when asked (chat's stream_options.include_usage) get it injected.
        boolean injectUsage = askForUsage && request.stream() && request.endpoint().streaming().requestUsage();
        byte[] model = quoted(upstreamModel);
        Members out = new Members(body, body.length + model.length + 48);
        try (JsonParser p = json.createParser(body)) {
            p.nextToken();
            out.open();
            boolean wroteModel = false;
            boolean wroteStreamOptions = false;
            JsonToken t = p.nextToken();
            while (t == JsonToken.FIELD_NAME) {
                int start = tokenStart(p);
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("stream_options") && injectUsage) {
                    writeStreamOptionsWithUsage(p, value, body, out);
                    wroteStreamOptions = true;
                    t = p.nextToken();
                    continue;
                }
                p.skipChildren();
                JsonToken next = p.nextToken();
                int end = valueEnd(body, tokenStart(p));
                if (field.equals("model")) {
                    out.member(MODEL_NAME, model);
                    wroteModel = true;
                } else {
                    switch (RequestFields.disposition(request.endpoint(), field, rules)) {
                        case FORWARD -> out.copy(start, end);
                        case FORCE_FALSE -> out.member(STORE_FALSE);
                        // Identity and storage fields, routing fields, and fields only another route allows stay here.
                        case REMOVE, ROUTING, UNKNOWN -> { }
                    }
                }
                t = next;
            }
            if (!wroteModel) {
                out.member(MODEL_NAME, model);
            }
            if (injectUsage && !wroteStreamOptions) {
                out.open(STREAM_OPTIONS_NAME);
                out.member(INCLUDE_USAGE_TRUE);
                out.close();
            }
            out.close();
        } catch (IOException e) {
            // The inspector accepted this body, so this is a bug, not bad input; the message carries no content.
            throw new UncheckedIOException("request rewrite failed on an accepted body", e);
        }
        return out.toByteArray();
    }

    /**
     * Copies the client's {@code stream_options} members except {@code include_usage}, then asks for usage. A
     * {@code null} value (which the inspector accepts) becomes an object asking for usage only. Leaves the parser on
     * the value's last token.
     */
    private static void writeStreamOptionsWithUsage(JsonParser p, JsonToken value, byte[] body, Members out) throws IOException {
        out.open(STREAM_OPTIONS_NAME);
        if (value == JsonToken.START_OBJECT) {
            JsonToken t = p.nextToken();
            while (t == JsonToken.FIELD_NAME) {
                int start = tokenStart(p);
                String name = p.currentName();
                p.nextToken();
                p.skipChildren();
                JsonToken next = p.nextToken();
                if (!name.equals("include_usage")) {
                    out.copy(start, valueEnd(body, tokenStart(p)));
                }
                t = next;
            }
        }
        out.member(INCLUDE_USAGE_TRUE);
        out.close();
    }

    private static byte[] quoted(String text) {
        byte[] escaped = JsonStringEncoder.getInstance().quoteAsUTF8(text);
        byte[] quoted = new byte[escaped.length + 2];
        quoted[0] = '"';
        System.arraycopy(escaped, 0, quoted, 1, escaped.length);
        quoted[quoted.length - 1] = '"';
        return quoted;
    }

    private static int tokenStart(JsonParser p) {
        return (int) p.currentTokenLocation().getByteOffset();
    }

    /**
     * Where the member before the token at {@code nextToken} ends: JSON allows only whitespace and one comma between
     * a value and the next field name or closing brace.
     */
    private static int valueEnd(byte[] body, int nextToken) {
        int i = skipWhitespaceBackwards(body, nextToken);
        if (i > 0 && body[i - 1] == ',') {
            i = skipWhitespaceBackwards(body, i - 1);
        }
        return i;
    }

    private static int skipWhitespaceBackwards(byte[] body, int end) {
        int i = end;
        while (i > 0 && (body[i - 1] == ' ' || body[i - 1] == '\n' || body[i - 1] == '\r' || body[i - 1] == '\t')) {
            i--;
        }
        return i;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** The output body: object members separated by commas, copied from the client's body or written by Veil. */
    private static final class Members {
        private final byte[] body;
        private final ByteArrayOutputStream out;
        private boolean first;

        Members(byte[] body, int capacity) {
            this.body = body;
            this.out = new ByteArrayOutputStream(capacity);
        }

        /** Opens the top-level object. */
        void open() {
            out.write('{');
            first = true;
        }

        /** Opens a member whose value is an object ({@code name} ends with the colon); {@link #close()} ends it. */
        void open(byte[] name) {
            separate();
            out.writeBytes(name);
            out.write('{');
            first = true;
        }

        void close() {
            out.write('}');
            first = false;
        }

        /** A member copied as the client's bytes. */
        void copy(int from, int to) {
            separate();
            out.write(body, from, to - from);
        }

        void member(byte[] name, byte[] value) {
            separate();
            out.writeBytes(name);
            out.writeBytes(value);
        }

        void member(byte[] nameAndValue) {
            separate();
            out.writeBytes(nameAndValue);
        }

        private void separate() {
            if (!first) {
                out.write(',');
            }
            first = false;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }
    }
}
