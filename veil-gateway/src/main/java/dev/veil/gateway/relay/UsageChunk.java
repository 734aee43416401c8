package dev.veil.gateway.relay;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.Endpoint;
import dev.veil.gateway.openai.Usage;
import dev.veil.tokens.GeneratedText;
import io.vertx.core.buffer.Buffer;
import java.time.Instant;

/**
 * The final usage chunk of a stream in OpenAI's shape ({@code choices: []} and {@code usage}), written by Veil when
 * the client asked for usage ({@code stream_options.include_usage}) and the upstream sent none. It carries the
 * stream's own {@code id}, {@code created} and {@code model} when its chunks had them, so a client sees one stream;
 * {@code usage.estimated: true} says the counts are Veil's.
 */
final class UsageChunk {

    private final JsonWriter json;

    UsageChunk(JsonFactory json) {
        this.json = new JsonWriter(json);
    }

    /**
     * @param seen      what the stream's chunks said about themselves (fields absent in it are made up)
     * @param requestId Veil's request id, for an id when the stream had none
     * @param model     the model name to show when the stream named none
     */
    Buffer event(GeneratedText.Identity seen, String requestId, Endpoint endpoint, String model, Usage usage) {
        boolean chat = endpoint == Endpoint.CHAT_COMPLETIONS;
        byte[] body = json.write(g -> {
            g.writeStartObject();
            g.writeStringField("id", seen.id() != null ? seen.id() : (chat ? "chatcmpl-" : "cmpl-") + requestId);
            g.writeStringField("object", chat ? "chat.completion.chunk" : "text_completion");
            g.writeNumberField("created", seen.created() >= 0 ? seen.created() : Instant.now().getEpochSecond());
            g.writeStringField("model", seen.model() != null ? seen.model() : model);
            g.writeArrayFieldStart("choices");
            g.writeEndArray();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", usage.promptTokens());
            g.writeNumberField("completion_tokens", usage.completionTokens());
            g.writeNumberField("total_tokens", usage.totalTokens());
            g.writeBooleanField("estimated", usage.estimated());
            g.writeEndObject();
            g.writeEndObject();
        });
        return Buffer.buffer(body.length + 8).appendString("data: ").appendBytes(body).appendString("\n\n");
    }
}
