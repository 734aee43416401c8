package dev.veil.tokens;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The final usage chunk of a stream in OpenAI's shape ({@code choices: []} and {@code usage}), for a client that asked
 * for usage ({@code stream_options.include_usage}) when the upstream sent none. It carries the stream's own
 * {@code id}, {@code created} and {@code model} when its chunks had them, so a client sees one stream; and
 * {@code usage.estimated} says whether the counts are Veil's own.
 */
public final class UsageChunk {

    private final JsonFactory json;

    public UsageChunk(JsonFactory json) {
        this.json = json;
    }

    /**
     * The whole SSE event, {@code data: {...}} and its blank line.
     *
     * @param seen       what the stream's chunks said about themselves (absent fields are made up)
     * @param fallbackId a unique suffix for the id when the stream had none (a request id)
     * @param chat       a chat completion stream ({@code chat.completion.chunk}); else a completion stream
     *                   ({@code text_completion})
     * @param model      the model id the client asked for: shown rather than the upstream's own name, as in every
     *                   other event of the stream; {@code null} shows the stream's
     */
    public byte[] event(GeneratedText.Identity seen, String fallbackId, boolean chat, String model, long promptTokens,
                        long completionTokens, boolean estimated) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.writeBytes(DATA);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", seen.id() != null ? seen.id() : (chat ? "chatcmpl-" : "cmpl-") + fallbackId);
            g.writeStringField("object", chat ? "chat.completion.chunk" : "text_completion");
            g.writeNumberField("created", seen.created() >= 0 ? seen.created() : Instant.now().getEpochSecond());
            g.writeStringField("model", model != null ? model : seen.model() != null ? seen.model() : "unknown");
            g.writeArrayFieldStart("choices");
            g.writeEndArray();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", promptTokens);
            g.writeNumberField("completion_tokens", completionTokens);
            g.writeNumberField("total_tokens", promptTokens + completionTokens);
            g.writeBooleanField("estimated", estimated);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        out.write('\n');
        return out.toByteArray();
    }

    /** The {@code [DONE]} event that follows it. */
    public static byte[] done() {
        return DONE.clone();
    }

    private static final byte[] DATA = {'d', 'a', 't', 'a', ':', ' '};
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
}
