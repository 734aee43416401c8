package dev.veil.gateway.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.store.BatchFileRecord;
import dev.veil.store.BatchRecord;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/** The JSON shapes of the Files and Batches API, as OpenAI defines them. Times are epoch seconds. */
final class BatchJson {

    /** Fixed messages for batch-level failure codes (no content ever). */
    static final Map<String, String> FAILURE_MESSAGES = Map.of(
            "input_unreadable", "The input file could not be decrypted intact.",
            "input_file_missing", "The input file no longer exists.",
            "empty_input", "The input file holds no requests.",
            "too_many_requests", "The input file holds more requests than this gateway allows in one batch.",
            "api_key_revoked", "The API key that created the batch was revoked.",
            "invalid_metadata", "The batch's metadata could not be read.",
            "internal_error", "The gateway failed to run the batch; its id identifies it in the gateway's logs.");

    private final JsonWriter json;
    private final ObjectMapper mapper;

    BatchJson(JsonWriter json, ObjectMapper mapper) {
        this.json = json;
        this.mapper = mapper;
    }

    static Long seconds(Long millis) {
        return millis == null ? null : millis / 1000;
    }

    byte[] file(BatchFileRecord file, String name) {
        return json.write(g -> writeFile(g, file, name));
    }

    void writeFile(JsonGenerator g, BatchFileRecord file, String name) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", file.id());
        g.writeStringField("object", "file");
        g.writeNumberField("bytes", file.bytes());
        g.writeNumberField("created_at", file.createdAt() / 1000);
        writeNullable(g, "expires_at", seconds(file.expiresAt()));
        g.writeStringField("filename", name);
        g.writeStringField("purpose", file.purpose());
        g.writeStringField("status", "processed");
        g.writeNullField("status_details");
        g.writeBooleanField("veil_client_sealed", file.clientSealed());
        g.writeEndObject();
    }

    /** One file of a list, with its name. */
    record NamedFile(BatchFileRecord file, String name) {
    }

    byte[] files(List<NamedFile> files, boolean hasMore) {
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (NamedFile f : files) {
                writeFile(g, f.file(), f.name());
            }
            g.writeEndArray();
            g.writeStringField("first_id", files.isEmpty() ? null : files.get(0).file().id());
            g.writeStringField("last_id", files.isEmpty() ? null : files.get(files.size() - 1).file().id());
            g.writeBooleanField("has_more", hasMore);
            g.writeEndObject();
        });
    }

    /** A batch with its decrypted metadata (null when it has none). */
    record Shown(BatchRecord batch, JsonNode metadata) {
    }

    byte[] batch(Shown shown) {
        return json.write(g -> writeBatch(g, shown));
    }

    byte[] batches(List<Shown> batches, boolean hasMore) {
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (Shown b : batches) {
                writeBatch(g, b);
            }
            g.writeEndArray();
            g.writeStringField("first_id", batches.isEmpty() ? null : batches.get(0).batch().id());
            g.writeStringField("last_id", batches.isEmpty() ? null : batches.get(batches.size() - 1).batch().id());
            g.writeBooleanField("has_more", hasMore);
            g.writeEndObject();
        });
    }

    private void writeBatch(JsonGenerator g, Shown shown) throws IOException {
        BatchRecord b = shown.batch();
        g.writeStartObject();
        g.writeStringField("id", b.id());
        g.writeStringField("object", "batch");
        g.writeStringField("endpoint", b.endpoint());
        if (b.errorCode() == null) {
            g.writeNullField("errors");
        } else {
            g.writeObjectFieldStart("errors");
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            g.writeStartObject();
            g.writeStringField("code", b.errorCode());
            g.writeStringField("message", FAILURE_MESSAGES.getOrDefault(b.errorCode(), "The batch failed."));
            g.writeNullField("param");
            g.writeNullField("line");
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeStringField("input_file_id", b.inputFileId());
        g.writeStringField("completion_window", b.completionWindow());
        g.writeStringField("status", b.status());
        // Output files become visible when the batch has ended.
        boolean ended = b.terminal();
        g.writeStringField("output_file_id", ended ? b.outputFileId() : null);
        g.writeStringField("error_file_id", ended ? b.errorFileId() : null);
        g.writeNumberField("created_at", b.createdAt() / 1000);
        writeNullable(g, "in_progress_at", seconds(b.inProgressAt()));
        g.writeNumberField("expires_at", b.expiresAt() / 1000);
        writeNullable(g, "finalizing_at", seconds(b.finalizingAt()));
        writeNullable(g, "completed_at", seconds(b.completedAt()));
        writeNullable(g, "failed_at", seconds(b.failedAt()));
        writeNullable(g, "expired_at", seconds(b.expiredAt()));
        writeNullable(g, "cancelling_at", seconds(b.cancellingAt()));
        writeNullable(g, "cancelled_at", seconds(b.cancelledAt()));
        g.writeObjectFieldStart("request_counts");
        g.writeNumberField("total", b.total());
        g.writeNumberField("completed", b.completed());
        g.writeNumberField("failed", b.failed());
        g.writeEndObject();
        if (shown.metadata() == null) {
            g.writeNullField("metadata");
        } else {
            g.writeFieldName("metadata");
            mapper.writeTree(g, shown.metadata());
        }
        g.writeEndObject();
    }

    private static void writeNullable(JsonGenerator g, String field, Long value) throws IOException {
        if (value == null) {
            g.writeNullField(field);
        } else {
            g.writeNumberField(field, value);
        }
    }
}
