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
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import dev.veil.store.AuditChain;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit log end to end: admin actions through a real gateway land in the chain, {@code GET /v1/admin/audit}
 * exports it for the admin token only (401/403 otherwise, 400 for bad paging), an exported page can be re-hashed by
 * an outsider, and {@code veil audit verify} from the shaded jar exits 0 on the intact chain and 1 naming the entry
 * after the SQLite file was edited.
 */
@Timeout(180)
class AuditLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static HttpRequest.Builder admin(GatewayFixture gateway, String pathAndQuery, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.origin() + pathAndQuery));
        return token == null ? b : b.header("authorization", "Bearer " + token);
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    @Test
    void adminActionsAreExportedAsAVerifiableChainWithoutSecrets() throws Exception {
        Path dataDir = Files.createDirectories(tmp.resolve("gw"));
        String secret;
        String id;
        try (GatewayFixture gateway = GatewayFixture.start(dataDir)) {
            HttpResponse<String> created = gateway.send(admin(gateway, "/admin/keys", GatewayFixture.ADMIN_TOKEN)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"audited\",\"preset\":\"internal\"}")));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            secret = json(created).path("key").asText();
            id = json(created).path("id").asText();
            HttpResponse<String> patched = gateway.send(admin(gateway, "/admin/keys/" + id, GatewayFixture.ADMIN_TOKEN)
                    .header("content-type", "application/json").method("PATCH",
                            HttpRequest.BodyPublishers.ofString("{\"preset\":\"confidential\"}")));
            assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
            assertThat(gateway.send(admin(gateway, "/admin/keys/" + id, GatewayFixture.ADMIN_TOKEN).DELETE())
                    .statusCode()).isEqualTo(200);

            // Page through the whole export one entry at a time.
            List<JsonNode> entries = new ArrayList<>();
            long after = 0;
            JsonNode page;
            do {
                HttpResponse<String> response = gateway.send(admin(gateway, "/v1/admin/audit?limit=1&after=" + after,
                        GatewayFixture.ADMIN_TOKEN).GET());
                assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
                assertThat(response.body()).doesNotContain(secret).doesNotContain(gateway.apiKey)
                        .doesNotContain(GatewayFixture.ADMIN_TOKEN).doesNotContain(GatewayFixture.UPSTREAM_SECRET);
                page = json(response);
                page.path("data").forEach(entries::add);
                after = page.path("next_after").asLong();
            } while (page.path("has_more").asBoolean());

            List<String> actions = entries.stream().map(e -> e.path("action").asText()).toList();
            assertThat(actions).containsSubsequence("config.loaded", "key.created", "key.policy_changed", "key.revoked");
            JsonNode createdEntry = entries.stream().filter(e -> e.path("action").asText().equals("key.created")
                    && e.path("subject").asText().equals(id)).findFirst().orElseThrow();
            assertThat(createdEntry.path("actor").asText()).isEqualTo("admin_api");
            assertThat(createdEntry.path("details").path("name").asText()).isEqualTo("audited");
            assertThat(createdEntry.path("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            JsonNode config = entries.get(0);
            assertThat(config.path("action").asText()).isEqualTo("config.loaded");
            assertThat(config.path("details").path("config_sha256").asText()).hasSize(64);

            // An outsider recomputes every hash from the export alone (docs/api.md gives the encoding).
            String prev = page.path("chain").path("anchor_hash").asText();
            for (JsonNode entry : entries) {
                assertThat(entry.path("prev_hash").asText()).isEqualTo(prev);
                TreeMap<String, String> details = new TreeMap<>();
                entry.path("details").fields().forEachRemaining(d -> details.put(d.getKey(), d.getValue().asText()));
                String hash = AuditChain.hash(prev, entry.path("seq").asLong(),
                        java.time.Instant.parse(entry.path("time").asText()).toEpochMilli(), entry.path("actor").asText(),
                        entry.path("action").asText(), entry.path("subject").asText(), details);
                assertThat(hash).isEqualTo(entry.path("hash").asText());
                prev = hash;
            }
            assertThat(prev).isEqualTo(page.path("chain").path("head_hash").asText());
        }

        // The gateway is stopped; the command line changes keys and checks the chain in the same SQLite file.
        CompatProcess.Result cliKey = CompatProcess.run(tmp, CLI_TIMEOUT, "keys", "create", "--name", "from-cli",
                "--data-dir", dataDir.toString());
        assertThat(cliKey.exit()).as(cliKey.stderr()).isZero();
        try (dev.veil.store.Store store = dev.veil.store.Store.open(
                dev.veil.store.StoreSettings.sqlite(dataDir.resolve("veil.db")))) {
            List<dev.veil.store.AuditEntry> all = store.auditLog().page(0, 1000);
            dev.veil.store.AuditEntry last = all.get(all.size() - 1);
            assertThat(last.action()).isEqualTo("key.created");
            assertThat(last.actor()).isEqualTo("cli");
            assertThat(last.details()).containsEntry("name", "from-cli");
        }
        CompatProcess.Result intact = CompatProcess.run(tmp, CLI_TIMEOUT, "audit", "verify", "--data-dir",
                dataDir.toString());
        assertThat(intact.exit()).as(intact.stdout() + intact.stderr()).isZero();
        assertThat(intact.stdout()).contains("intact").contains("head_hash=");
        String head = intact.stdout().lines().filter(l -> l.startsWith("head_hash=")).findFirst().orElseThrow()
                .substring("head_hash=".length());
        CompatProcess.Result recorded = CompatProcess.run(tmp, CLI_TIMEOUT, "audit", "verify", "--expect-head", head,
                "--data-dir", dataDir.toString());
        assertThat(recorded.exit()).as(recorded.stdout() + recorded.stderr()).isZero();
        assertThat(recorded.stdout()).contains("the head recorded earlier is entry");
        CompatProcess.Result unknown = CompatProcess.run(tmp, CLI_TIMEOUT, "audit", "verify", "--expect-head",
                "ab".repeat(32), "--data-dir", dataDir.toString());
        assertThat(unknown.exit()).as(unknown.stdout() + unknown.stderr()).isEqualTo(1);
        assertThat(unknown.stdout()).contains("is not in the chain");

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("veil.db"));
             Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE audit_log SET details = '{\"name\":\"someone-else\",\"policy\":\"{}\"}' "
                    + "WHERE action = 'key.created' AND subject = '" + id + "'");
        }
        CompatProcess.Result edited = CompatProcess.run(tmp, CLI_TIMEOUT, "audit", "verify", "--data-dir",
                dataDir.toString());
        assertThat(edited.exit()).as(edited.stdout() + edited.stderr()).isEqualTo(1);
        assertThat(edited.stdout()).contains("BROKEN at entry").contains("edited");

        CompatProcess.Result nowhere = CompatProcess.run(tmp, CLI_TIMEOUT, "audit", "verify", "--data-dir",
                tmp.resolve("no-store").toString());
        assertThat(nowhere.exit()).isEqualTo(2);
        assertThat(nowhere.stderr()).contains("no Veil store at");
    }

    @Test
    void theExportIsForTheAdminTokenOnlyAndRefusesBadPaging() throws Exception {
        try (GatewayFixture gateway = GatewayFixture.start(Files.createDirectories(tmp.resolve("auth")))) {
            for (String token : new String[] {null, "wrong-token", gateway.apiKey}) {
                HttpResponse<String> response = gateway.send(admin(gateway, "/v1/admin/audit", token).GET());
                assertThat(response.statusCode()).as("token %s", token).isEqualTo(401);
                assertThat(json(response).path("error").path("code").asText()).isEqualTo("invalid_admin_token");
                assertThat(response.body()).doesNotContain("\"data\"");
            }
            Map<String, String> bad = Map.of("limit=0", "limit", "limit=1001", "limit", "limit=ten", "limit",
                    "after=-1", "after", "after=1e3", "after", "after=99999999999999999999", "after");
            for (Map.Entry<String, String> query : bad.entrySet()) {
                HttpResponse<String> response = gateway.send(admin(gateway, "/v1/admin/audit?" + query.getKey(),
                        GatewayFixture.ADMIN_TOKEN).GET());
                assertThat(response.statusCode()).as(query.getKey()).isEqualTo(400);
                assertThat(json(response).path("error").path("param").asText()).isEqualTo(query.getValue());
            }
            HttpResponse<String> post = gateway.send(admin(gateway, "/v1/admin/audit", GatewayFixture.ADMIN_TOKEN)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")));
            assertThat(post.statusCode()).isEqualTo(405);
            HttpResponse<String> beyond = gateway.send(admin(gateway, "/v1/admin/audit?after=1000000",
                    GatewayFixture.ADMIN_TOKEN).GET());
            assertThat(beyond.statusCode()).isEqualTo(200);
            assertThat(json(beyond).path("data")).isEmpty();
            assertThat(json(beyond).path("has_more").asBoolean()).isFalse();
        }
        try (GatewayFixture disabled = GatewayFixture.withServer(Files.createDirectories(tmp.resolve("off")), 3_000,
                "  admin_token_env: VEIL_NO_SUCH_ADMIN_TOKEN\n")) {
            HttpResponse<String> response = disabled.send(admin(disabled, "/v1/admin/audit", "anything").GET());
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(json(response).path("error").path("code").asText()).isEqualTo("admin_api_disabled");
        }
    }
}
