package dev.veil.gateway.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.admin.AdminApi;
import dev.veil.gateway.http.QueryParams;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.AuditEntry;
import dev.veil.store.AuditLogRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/admin/audit?after=<seq>&limit=<n>}: the audit log's entries in chain order, a page at a time, with
 * the chain's head so an exporter can verify what it fetched (see docs/api.md). Admin token only; the caller checks it.
 */
public final class AuditApi {

    /** The path this API answers. */
    public static final String PATH = "/v1/admin/audit";
    /** Entries per page when {@code limit} is left out. */
    public static final int DEFAULT_LIMIT = 100;

    /** ISO-8601 in UTC with milliseconds always written, so the time is the exact instant the hash covers. */
    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final AuditLogRepository log;
    private final WorkerExecutor jdbc;
    private final JsonWriter json;

    public AuditApi(AuditLogRepository log, WorkerExecutor jdbc, JsonWriter json) {
        this.log = log;
        this.jdbc = jdbc;
        this.json = json;
    }

    /** One page; a bad {@code after} or {@code limit} fails with a 400 naming it. */
    public Future<AdminApi.Reply> page(QueryParams query) {
        long after;
        int limit;
        try {
            after = after(query.get("after"));
            limit = query.intValue("limit", DEFAULT_LIMIT, 1, AuditLogRepository.MAX_PAGE);
        } catch (InvalidRequestException e) {
            return Future.failedFuture(e);
        }
        return jdbc.executeBlocking(() -> {
            AuditLogRepository.Head head = log.head();
            List<AuditEntry> entries = log.page(after, limit);
            long last = entries.isEmpty() ? after : entries.get(entries.size() - 1).seq();
            return new AdminApi.Reply(200, json.write(g -> {
                g.writeStartObject();
                g.writeStringField("object", "list");
                g.writeArrayFieldStart("data");
                for (AuditEntry entry : entries) {
                    write(g, entry);
                }
                g.writeEndArray();
                g.writeBooleanField("has_more", last < head.lastSeq());
                if (entries.isEmpty()) {
                    g.writeNullField("next_after");
                } else {
                    g.writeNumberField("next_after", last);
                }
                g.writeObjectFieldStart("chain");
                g.writeNumberField("first_seq", head.firstSeq());
                g.writeStringField("anchor_hash", head.anchorHash());
                g.writeNumberField("head_seq", head.lastSeq());
                g.writeStringField("head_hash", head.lastHash());
                g.writeEndObject();
                g.writeEndObject();
            }));
        }, false);
    }

    private static void write(JsonGenerator g, AuditEntry entry) throws IOException {
        g.writeStartObject();
        g.writeNumberField("seq", entry.seq());
        g.writeStringField("time", TIME.format(entry.time()));
        g.writeStringField("actor", entry.actor());
        g.writeStringField("action", entry.action());
        g.writeStringField("subject", entry.subject());
        g.writeObjectFieldStart("details");
        for (Map.Entry<String, String> detail : entry.details().entrySet()) {
            g.writeStringField(detail.getKey(), detail.getValue());
        }
        g.writeEndObject();
        g.writeStringField("hash", entry.hash());
        g.writeStringField("prev_hash", entry.prevHash());
        g.writeEndObject();
    }

    private static long after(String text) throws InvalidRequestException {
        if (text == null) {
            return 0;
        }
        String trimmed = text.trim();
        if (trimmed.matches("[0-9]{1,18}")) {
            return Long.parseLong(trimmed);
        }
        throw new InvalidRequestException(OpenAiError.invalidRequest("\"after\" must be a whole number of at least 0: "
                + "the seq of the last entry you have (next_after of the previous page).", "after", "invalid_value"));
    }
}
