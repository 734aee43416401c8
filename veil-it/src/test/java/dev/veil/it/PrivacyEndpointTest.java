package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/privacy} on a real gateway: public, every table and column of the gateway's own migrated database
 * described, the configured retention filled in, every privacy mode described for provider, operator and node.
 */
@Timeout(120)
class PrivacyEndpointTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void theInventoryDescribesEveryColumnOfTheRunningStoreWithoutAKey() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Files.createDirectories(tmp.resolve("gw")), 3_000, "",
                Map.of("VEIL_STORE__RETENTION_DAYS", "7", "VEIL_STORE__AUDIT_RETENTION_DAYS", "0"))) {
            HttpResponse<String> response = gateway.send(HttpRequest.newBuilder(
                    URI.create(gateway.origin() + "/v1/privacy")).GET());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(
                    ct -> assertThat(ct).startsWith("application/json"));
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("object").asText()).isEqualTo("veil.privacy");

            Set<String> described = new TreeSet<>();
            for (JsonNode table : body.path("tables")) {
                assertThat(table.path("retention").asText()).isNotBlank();
                for (JsonNode field : table.path("fields")) {
                    assertThat(field.path("meaning").asText()).isNotBlank();
                    described.add(table.path("table").asText() + "." + field.path("name").asText());
                }
                switch (table.path("table").asText()) {
                    case "request_log" -> {
                        assertThat(table.path("retention_setting").asText()).isEqualTo("store.retention_days");
                        assertThat(table.path("retention_days").asInt()).isEqualTo(7);
                    }
                    case "audit_log" -> assertThat(table.path("retention_days").asInt()).isZero();
                    case "api_keys" -> assertThat(table.has("retention_setting")).isFalse();
                    default -> { }
                }
            }
            assertThat(described).isEqualTo(columnsOf(gateway));

            assertThat(body.path("modes")).extracting(m -> m.path("mode").asText())
                    .containsExactly("anonymized", "private", "tee", "e2ee");
            for (JsonNode mode : body.path("modes")) {
                for (String who : new String[] {"rests_on", "provider", "operator", "node"}) {
                    assertThat(mode.path(who).asText()).as(mode.path("mode") + "." + who).isNotBlank();
                }
            }
            assertThat(body.path("elsewhere")).isNotEmpty();

            HttpResponse<String> post = gateway.send(HttpRequest.newBuilder(URI.create(gateway.origin() + "/v1/privacy"))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")));
            assertThat(post.statusCode()).isEqualTo(405);
        }
    }

    private static Set<String> columnsOf(GatewayFixture gateway) throws Exception {
        Set<String> columns = new TreeSet<>();
        try (Connection c = gateway.gateway.store().dataSource().getConnection();
             ResultSet rows = c.getMetaData().getColumns(null, null, "%", "%")) {
            while (rows.next()) {
                String table = rows.getString("TABLE_NAME").toLowerCase(Locale.ROOT);
                if (!table.equals("flyway_schema_history") && !table.startsWith("sqlite_")) {
                    columns.add(table + "." + rows.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
        }
        assertThat(columns).contains("audit_log.hash", "api_keys.secret_hash");
        return columns;
    }
}
