package dev.veil.gateway.http;

import dev.veil.gateway.config.StoreConfig;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.store.PrivacyInventory;
import java.util.Map;

/**
 * {@code GET /v1/privacy}: the machine-readable privacy inventory (every table and column Veil stores, what it means,
 * how long it is kept, what Veil keeps elsewhere, and what each privacy mode shows to whom), from
 * {@link PrivacyInventory}, with this gateway's configured retention where a setting governs it. It describes the
 * gateway and holds no data, so it needs no key. Rendered once: the configuration does not change while it runs.
 */
public final class PrivacyApi {

    /** The path this API answers. */
    public static final String PATH = "/v1/privacy";

    private final byte[] body;

    public PrivacyApi(JsonWriter json, StoreConfig store) {
        Map<String, Integer> settings = Map.of("store.retention_days", store.retentionDays(),
                "store.audit_retention_days", store.auditRetentionDays());
        this.body = json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "veil.privacy");
            g.writeArrayFieldStart("tables");
            for (PrivacyInventory.Table table : PrivacyInventory.tables()) {
                g.writeStartObject();
                g.writeStringField("table", table.table());
                g.writeStringField("purpose", table.purpose());
                g.writeStringField("retention", table.retention());
                if (table.retentionSetting() != null) {
                    g.writeStringField("retention_setting", table.retentionSetting());
                    Integer days = settings.get(table.retentionSetting());
                    if (days != null) {
                        g.writeNumberField("retention_days", days);
                    }
                }
                g.writeArrayFieldStart("fields");
                for (PrivacyInventory.Field field : table.fields()) {
                    g.writeStartObject();
                    g.writeStringField("name", field.name());
                    g.writeStringField("meaning", field.meaning());
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("elsewhere");
            for (PrivacyInventory.Elsewhere item : PrivacyInventory.elsewhere()) {
                g.writeStartObject();
                g.writeStringField("what", item.what());
                g.writeStringField("where", item.where());
                g.writeStringField("retention", item.retention());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("modes");
            for (PrivacyInventory.Mode mode : PrivacyInventory.modes()) {
                g.writeStartObject();
                g.writeStringField("mode", mode.mode());
                g.writeStringField("rests_on", mode.restsOn());
                g.writeStringField("provider", mode.provider());
                g.writeStringField("operator", mode.operator());
                g.writeStringField("node", mode.node());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** The inventory as JSON. */
    public byte[] body() {
        return body;
    }
}
