package dev.veil.gateway.batch.runner;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.veil.protocol.OpenAiError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The JSONL lines of output and error files, in OpenAI's shape:
 * {@code {"id","custom_id","response":{"status_code","request_id","body"},"error"}}. Response bodies are copied token
 * by token (compacted onto one line).
 */
final class ResultLines {

    private static final HexFormat HEX = HexFormat.of();

    private final JsonFactory json;

    ResultLines(JsonFactory json) {
        this.json = json;
    }

    static String newLineId() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return "batch_req_" + HEX.formatHex(b);
    }

    /**
     * A line with a response.
     *
     * @return null when {@code body} is not one JSON value (the caller reports the upstream as broken)
     */
    byte[] response(String customId, int status, String requestId, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 160);
        try (JsonGenerator g = json.createGenerator(out); JsonParser p = json.createParser(body)) {
            g.writeStartObject();
            g.writeStringField("id", newLineId());
            g.writeStringField("custom_id", customId);
            g.writeObjectFieldStart("response");
            g.writeNumberField("status_code", status);
            g.writeStringField("request_id", requestId);
            g.writeFieldName("body");
            if (p.nextToken() == null) {
                return null;
            }
            g.copyCurrentStructure(p);
            if (p.nextToken() != null) {
                return null;
            }
            g.writeEndObject();
            g.writeNullField("error");
            g.writeEndObject();
        } catch (IOException e) {
            return null;
        }
        return out.toByteArray();
    }

    /** A line for a line Veil rejected before routing: {@code response} null, {@code error} with the line number. */
    byte[] lineError(String customId, OpenAiError error, long lineNumber) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("id", newLineId());
            g.writeStringField("custom_id", customId);
            g.writeNullField("response");
            g.writeObjectFieldStart("error");
            g.writeStringField("code", error.code());
            g.writeStringField("message", error.message());
            g.writeStringField("param", error.param());
            g.writeNumberField("line", lineNumber);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static boolean isObject(JsonFactory json, byte[] body) {
        try (JsonParser p = json.createParser(body)) {
            return p.nextToken() == JsonToken.START_OBJECT;
        } catch (IOException e) {
            return false;
        }
    }
}
