package dev.veil.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.protocol.policy.Exclusion;
import dev.veil.protocol.policy.RefusalBody;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Errors in the shape of Anthropic's API, {@code {"type":"error","error":{"type":...,"message":...}}}, for everything
 * answered on {@code /v1/messages}. Veil's own detail rides along inside {@code error} ({@code param}, {@code code},
 * and for a policy refusal {@code excluded}); Anthropic's SDKs keep unknown members and ignore them otherwise.
 *
 * <p>The status stays Veil's (so a client's retry logic sees the same 429 or 503); the type follows Anthropic's table
 * for that status: 400 {@code invalid_request_error}, 401 {@code authentication_error}, 403 {@code permission_error},
 * 404 {@code not_found_error}, 413 {@code request_too_large}, 429 {@code rate_limit_error}, 504
 * {@code timeout_error}, 529 {@code overloaded_error}, other 5xx {@code api_error}.
 */
public final class AnthropicErrors {

    private static final JsonFactory JSON = new JsonFactory();

    private AnthropicErrors() {
    }

    /** Anthropic's error type for an HTTP status. */
    public static String type(int status) {
        return switch (status) {
            case 400, 405, 408, 414, 422, 431 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 402 -> "billing_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 504 -> "timeout_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    /** The body for Veil's {@code error}, in Anthropic's shape, keeping Veil's {@code param} and {@code code}. */
    public static byte[] body(OpenAiError error) {
        return write(type(error.httpStatus()), error.message(), error.param(), error.code(), null);
    }

    /**
     * The body of a policy refusal (403 {@code permission_error}, code {@code no_compliant_route}) or of a plan whose
     * compliant routes are all out (503 {@code api_error}, code {@code no_healthy_route}), with Veil's typed
     * {@code excluded} list.
     */
    public static byte[] refusal(List<Exclusion> excluded, boolean onlyHealth) {
        return write(onlyHealth ? "api_error" : "permission_error", RefusalBody.message(onlyHealth), null,
                onlyHealth ? "no_healthy_route" : RefusalBody.CODE, excluded);
    }

    /** An in-stream error event ({@code event: error}), as Anthropic ends a stream that failed after it started. */
    public static byte[] event(int status, String message, String code) {
        byte[] data = write(type(status), message, null, code, null);
        byte[] head = "event: error\ndata: ".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + data.length + 2];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(data, 0, out, head.length, data.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }

    /**
     * An OpenAI-shaped error body ({@code {"error":{...}}}, as a node, a chat engine or a proxy writes it) in
     * Anthropic's shape: the members of {@code error} are kept, its {@code type} becomes Anthropic's for
     * {@code status}. A body already in Anthropic's shape is returned as it is; one that is not JSON becomes a generic
     * error for the status (its text is not repeated: it may quote content).
     */
    public static byte[] reshape(int status, byte[] body) {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        try {
            com.fasterxml.jackson.databind.JsonNode root = mapper.readTree(body);
            if (root != null && "error".equals(root.path("type").asText()) && root.path("error").isObject()) {
                return body;
            }
            if (root != null && root.path("error").isObject()) {
                com.fasterxml.jackson.databind.node.ObjectNode error =
                        ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("error")).deepCopy();
                error.put("type", type(status));
                com.fasterxml.jackson.databind.node.ObjectNode out = mapper.createObjectNode().put("type", "error");
                out.set("error", error);
                return mapper.writeValueAsBytes(out);
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: below
        }
        return write(type(status), "The request failed with status " + status + ".", null, null, null);
    }

    /**
     * The event that ends a stream which failed after it started, in the shape of {@code shape}'s streams: OpenAI's
     * {@code data: {"error":...}}, the Responses API's {@code event: error} (numbered {@code nextSequence}), or
     * Anthropic's {@code event: error}.
     */
    public static byte[] streamEvent(dev.veil.protocol.api.Endpoint.ErrorShape shape, OpenAiError error,
                                     long nextSequence) {
        return switch (shape) {
            case ANTHROPIC -> event(error.httpStatus(), error.message(), error.code());
            case OPENAI_RESPONSES -> error.toResponsesStreamEvent(nextSequence);
            case OPENAI -> {
                byte[] json = error.toJson();
                byte[] out = new byte[6 + json.length + 2];
                System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 6);
                System.arraycopy(json, 0, out, 6, json.length);
                out[out.length - 2] = '\n';
                out[out.length - 1] = '\n';
                yield out;
            }
        };
    }

    private static byte[] write(String type, String message, String param, String code, List<Exclusion> excluded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(200);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "error");
            g.writeObjectFieldStart("error");
            g.writeStringField("type", type);
            g.writeStringField("message", message);
            if (param != null) {
                g.writeStringField("param", param);
            }
            if (code != null) {
                g.writeStringField("code", code);
            }
            if (excluded != null) {
                RefusalBody.writeExcluded(g, excluded);
            }
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
