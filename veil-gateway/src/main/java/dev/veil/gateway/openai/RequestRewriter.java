package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import dev.veil.gateway.policy.RequestPolicyReader;

/**
 * Rewrites a validated request body for the upstream in one streaming pass: the public model id becomes the route's
 * upstream model name, fields that identify the caller are dropped, and streams ask for the final usage chunk. Every
 * other member (tools, response_format, images, logprobs, fields Veil does not know) is copied token for token.
 */
public final class RequestRewriter {

    /**
     * Body fields that identify the end user to the provider. They never leave Veil.
     * {@code user} is OpenAI's end-user id; {@code safety_identifier} is its successor.
     */
    public static final Set<String> IDENTITY_FIELDS = Set.of("user", "safety_identifier");

    private final JsonFactory json;

    public RequestRewriter(JsonFactory json) {
        this.json = json;
    }

    /**
     * Produces the upstream body.
     *
     * @param body          the client's body, already accepted by {@link RequestInspector}
     * @param request       what the inspector found
     * @param upstreamModel the model name the route's upstream knows
     */
    public byte[] rewrite(byte[] body, InferenceRequest request, String upstreamModel) {
        return rewrite(body, request, upstreamModel, true);
    }

    /**
     * As {@link #rewrite(byte[], InferenceRequest, String)}; {@code askForUsage} false leaves {@code stream_options}
     * as the client sent it (a Veil node asks its engine for usage itself and signs the counts).
     */
    public byte[] rewrite(byte[] body, InferenceRequest request, String upstreamModel, boolean askForUsage) {
        boolean injectUsage = askForUsage && request.stream();
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 48);
        try (JsonParser p = json.createParser(body); JsonGenerator g = json.createGenerator(out)) {
            p.nextToken();
            g.writeStartObject();
            boolean wroteStreamOptions = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("model")) {
                    g.writeStringField("model", upstreamModel);
                } else if (IDENTITY_FIELDS.contains(field) || RequestPolicyReader.FIELDS.contains(field)) {
                    // Identity never leaves; routing fields are Veil's business, not the provider's.
                    p.skipChildren();
                } else if (field.equals("stream_options") && injectUsage) {
                    writeStreamOptionsWithUsage(p, g);
                    wroteStreamOptions = true;
                } else {
                    g.writeFieldName(field);
                    g.copyCurrentStructure(p);
                }
            }
            if (injectUsage && !wroteStreamOptions) {
                g.writeObjectFieldStart("stream_options");
                g.writeBooleanField("include_usage", true);
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            // The inspector accepted this body, so this is a bug, not bad input; the message carries no content.
            throw new UncheckedIOException("request rewrite failed on an accepted body", e);
        }
        return out.toByteArray();
    }

    private static void writeStreamOptionsWithUsage(JsonParser p, JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("stream_options");
        if (p.currentToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("include_usage")) {
                    p.skipChildren();
                } else {
                    g.writeFieldName(name);
                    g.copyCurrentStructure(p);
                }
            }
        }
        g.writeBooleanField("include_usage", true);
        g.writeEndObject();
    }
}
