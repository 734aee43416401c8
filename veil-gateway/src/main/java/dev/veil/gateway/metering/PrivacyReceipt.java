package dev.veil.gateway.metering;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.RequestLogMode;
import dev.veil.store.ApiKeyRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The privacy receipt Veil attaches to every answered inference request: which route served it, that route's declared
 * data policy, and exactly what Veil itself stored about the request and for how long (the key's request log mode:
 * a row with its time to the second, minute or hour, or daily totals only). Sent as the
 * {@code x-veil-receipt} header (compact JSON) and, for streams, as a final SSE comment {@code : veil-receipt {...}}.
 */
public final class PrivacyReceipt {

    /** Stands in for the request id while a route's receipt is rendered once; request ids are plain hex. */
    private static final String PLACEHOLDER = "VEIL_REQUEST_ID_PLACEHOLDER";

    private final JsonWriter json;
    private final MetadataMinimisation minimisation;
    /**
     * Per route and request log setting, the receipt split around the request id: everything else is the same for
     * every request. Bounded by routes × 4 modes × the retention values keys use (at most store.retention_days).
     */
    private final java.util.concurrent.ConcurrentHashMap<String, String[]> rendered = new java.util.concurrent.ConcurrentHashMap<>();

    public PrivacyReceipt(JsonWriter json, MetadataMinimisation minimisation) {
        this.json = json;
        this.minimisation = minimisation;
    }

    /**
     * The receipt with {@code "usage_estimated":true} added: the request's token counts are Veil's own because the
     * upstream reported none. A stream's receipt header is written before that is known, so only its closing
     * {@code : veil-receipt} comment can carry the mark.
     */
    public static String withUsageEstimated(String receipt) {
        // The receipt is one compact JSON object: the member goes before its closing brace.
        return receipt.substring(0, receipt.length() - 1) + ",\"usage_estimated\":true}";
    }

    /** The receipt for a request of {@code apiKey} served by {@code route}, as compact single-line JSON. */
    public String write(String requestId, Route route, ApiKeyRecord apiKey) {
        RequestLogMode logMode = minimisation.mode(apiKey);
        int retentionDays = minimisation.retentionDays(apiKey);
        // Keyed by name and mode, not the record: a route's plaintext view (tee) is a new instance per request.
        String key = route.modelId() + '\u0000' + route.name() + '\u0000' + route.mode().ordinal() + '\u0000'
                + logMode.ordinal() + '\u0000' + retentionDays;
        String[] parts = rendered.computeIfAbsent(key,
                k -> render(PLACEHOLDER, route, logMode, retentionDays).split(PLACEHOLDER, 2));
        return parts[0] + requestId + parts[1];
    }

    private String render(String requestId, Route route, RequestLogMode logMode, int retentionDays) {
        // Compact on purpose: it rides on every response. docs/privacy.md lists the request-log fields in full.
        return new String(json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("v", 1);
            g.writeStringField("request_id", requestId);
            g.writeStringField("route", route.name());
            g.writeStringField("mode", route.mode().wireName());
            writeProviderPolicy(g, route.policy());
            if (!route.forwarding().allowedFields().isEmpty()) {
                // The operator let these request fields through on this route (docs/privacy.md lists the defaults).
                g.writeArrayFieldStart("operator_forwarded_fields");
                for (String field : route.forwarding().allowedFields()) {
                    g.writeString(field);
                }
                g.writeEndArray();
            }
            g.writeObjectFieldStart("veil_stored");
            g.writeBooleanField("content", false);
            g.writeBooleanField("client_ip", false);
            g.writeStringField("metadata", logMode.perRequestRows() ? "request_log" : "daily_totals");
            g.writeStringField("time", logMode.timeName());
            g.writeNumberField("retention_days", retentionDays);
            g.writeEndObject();
            g.writeEndObject();
        }), StandardCharsets.UTF_8);
    }

    private static void writeProviderPolicy(JsonGenerator g, DataPolicy p) throws IOException {
        g.writeObjectFieldStart("provider_policy");
        if (p.trains() == null) {
            g.writeNullField("trains");
        } else {
            g.writeBooleanField("trains", p.trains());
        }
        if (p.retentionDays() == null) {
            g.writeNullField("retention_days");
        } else {
            g.writeNumberField("retention_days", p.retentionDays());
        }
        g.writeStringField("tee", p.teeKind().wireName());
        g.writeBooleanField("e2ee", Boolean.TRUE.equals(p.e2ee()));
        g.writeStringField("jurisdiction", p.jurisdiction());
        g.writeEndObject();
    }
}
