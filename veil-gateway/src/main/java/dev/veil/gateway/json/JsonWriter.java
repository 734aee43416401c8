package dev.veil.gateway.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Small helper to build a JSON body with Jackson's streaming generator. */
public final class JsonWriter {

    /** What writes the body. */
    public interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private final JsonFactory json;

    public JsonWriter(JsonFactory json) {
        this.json = json;
    }

    /** Runs {@code body} against a generator and returns the bytes. */
    public byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
