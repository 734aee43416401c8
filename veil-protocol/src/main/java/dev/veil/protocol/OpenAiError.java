package dev.veil.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * An error in the shape every OpenAI client understands: {@code {"error":{"message","type","param","code"}}}.
 *
 * <p>Messages are written by Veil. The one exception is an upstream's own message on a 4xx request error, which the
 * caller gets back (prefixed) so it can fix its request; such an error is answered, never logged or stored.
 *
 * @param httpStatus the HTTP status to answer with
 * @param message    a human-readable explanation that says what was wrong and what to do
 * @param type       the error type, e.g. {@code invalid_request_error}
 * @param param      the request field at fault, or {@code null}
 * @param code       a stable machine-readable code, or {@code null}
 */
public record OpenAiError(int httpStatus, String message, String type, String param, String code) {

    private static final JsonFactory JSON = new JsonFactory();

    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String AUTHENTICATION = "authentication_error";
    public static final String PERMISSION = "permission_error";
    public static final String NOT_FOUND = "not_found_error";
    public static final String RATE_LIMIT = "rate_limit_error";
    public static final String UPSTREAM = "upstream_error";
    public static final String SERVER = "server_error";

    /** A 400 {@code invalid_request_error} naming the field at fault. */
    public static OpenAiError invalidRequest(String message, String param, String code) {
        return new OpenAiError(400, message, INVALID_REQUEST, param, code);
    }

    /** Serialises to the OpenAI error body. */
    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", message);
            g.writeStringField("type", type);
            g.writeStringField("param", param);
            g.writeStringField("code", code);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Serialises to the Responses API's stream error event ({@code event: error} and its data line, ending the event):
     * {@code {"type":"error","code":...,"message":...,"param":...,"sequence_number":n}}.
     *
     * @param sequenceNumber the event's place in its stream (the number of events before it)
     */
    public byte[] toResponsesStreamEvent(long sequenceNumber) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(200);
        out.writeBytes("event: error\ndata: ".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("type", "error");
            g.writeStringField("code", code);
            g.writeStringField("message", message);
            g.writeStringField("param", param);
            g.writeNumberField("sequence_number", sequenceNumber);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.writeBytes("\n\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
