package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.RequestLogMode;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-key metadata minimisation end to end: requests of keys in each request log mode go through a real gateway, and
 * the SQLite file is then read directly, as someone holding it would. The request id each client got must carry no
 * finer time than its key's mode, and the store must hold only what the mode allows.
 */
@Timeout(90)
class MetadataMinimisationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";

    @TempDir
    Path tmp;

    @Test
    void eachModeLeavesOnlyWhatItAllowsInTheSqliteFile() throws Exception {
        Path dataDir = Files.createDirectories(tmp.resolve("data"));
        try (GatewayFixture fixture = GatewayFixture.start(dataDir)) {
            String minute = issue(fixture, RequestLogMode.MINUTE);
            String hour = issue(fixture, RequestLogMode.HOUR);
            String totals = issue(fixture, RequestLogMode.DAILY_TOTALS);

            Answered full = twoRequests(fixture, fixture.apiKey);
            Answered byMinute = twoRequests(fixture, minute);
            Answered byHour = twoRequests(fixture, hour);
            Answered byTotals = twoRequests(fixture, totals);
            fixture.gateway.flushMetering();

            // Request ids: no finer time than the mode (the default keeps whole seconds).
            assertTimesCutTo(full.ids, 1_000);
            assertTimesCutTo(byMinute.ids, 60_000);
            assertTimesCutTo(byHour.ids, 3_600_000);
            assertTimesCutTo(byTotals.ids, 86_400_000);
            // Receipts say what was kept.
            assertThat(full.receipts).allSatisfy(r -> assertThat(r)
                    .contains("\"metadata\":\"request_log\",\"time\":\"second\",\"retention_days\":30"));
            assertThat(byHour.receipts).allSatisfy(r -> assertThat(r).contains("\"time\":\"hour\""));
            assertThat(byTotals.receipts).allSatisfy(r -> assertThat(r)
                    .contains("\"metadata\":\"daily_totals\",\"time\":\"day\",\"retention_days\":5"));

            try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("veil.db"))) {
                assertRows(db, full.ids, 1_000, true);
                assertRows(db, byMinute.ids, 60_000, false);
                assertRows(db, byHour.ids, 3_600_000, false);
                String totalsKeyId = keyIdOf(fixture, totals);
                assertThat(count(db, "SELECT COUNT(*) FROM request_log WHERE key_id = ?", totalsKeyId)).isZero();
                assertThat(count(db, "SELECT requests FROM request_totals WHERE key_id = ? AND endpoint = "
                        + "'chat.completions' AND route = 'fake-zdr' AND status_class = '2xx'", totalsKeyId)).isEqualTo(2);
                assertThat(count(db, "SELECT requests FROM usage_ledger WHERE key_id = ?", totalsKeyId)).isEqualTo(2);
            }
            // Not a byte of a totals-only request id anywhere in the data directory (database, WAL); the control: a
            // full key's id is found there.
            for (String id : byTotals.ids) {
                assertThat(new CanaryScanner(id).filesContaining(dataDir)).as("files holding %s", id).isEmpty();
            }
            assertThat(new CanaryScanner(full.ids.get(0)).filesContaining(dataDir)).isNotEmpty();

            JsonNode usage = JSON.readTree(get(fixture, "/v1/usage", hour).body()).path("request_log");
            assertThat(usage.path("mode").asText()).isEqualTo("hour");
            assertThat(usage.path("time").asText()).isEqualTo("hour");
            assertThat(usage.path("retention_days").asInt()).isEqualTo(5);
            assertThat(JSON.readTree(get(fixture, "/v1/usage", fixture.apiKey).body()).path("request_log").path("mode")
                    .asText()).isEqualTo("full");
        }
    }

    @Test
    void theOperatorsDefaultAppliesToKeysWithoutTheirOwn() throws Exception {
        Path dataDir = Files.createDirectories(tmp.resolve("default"));
        try (GatewayFixture fixture = GatewayFixture.start(dataDir, 3_000, "",
                Map.of("VEIL_STORE__REQUEST_LOG", "hour"))) {
            IssuedKey ownFull = ApiKeyIssuer.issue("own-full",
                    KeyPolicy.UNRESTRICTED.withRequestLog(RequestLogMode.FULL, null), Instant.now());
            fixture.gateway.store().apiKeys().insert(ownFull.record());

            Answered byDefault = twoRequests(fixture, fixture.apiKey);
            Answered byOwn = twoRequests(fixture, ownFull.secret());
            fixture.gateway.flushMetering();

            assertTimesCutTo(byDefault.ids, 3_600_000);
            try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("veil.db"))) {
                assertRows(db, byDefault.ids, 3_600_000, false);
                assertRows(db, byOwn.ids, 1_000, true);
            }
            assertThat(JSON.readTree(get(fixture, "/v1/usage", fixture.apiKey).body()).path("request_log").path("mode")
                    .asText()).isEqualTo("hour");
        }
    }

    @Test
    void batchLinesAreMeteredInTheirKeysMode() throws Exception {
        Path dataDir = Files.createDirectories(tmp.resolve("batch"));
        try (GatewayFixture fixture = GatewayFixture.withBatches(dataDir, "")) {
            String hour = issue(fixture, RequestLogMode.HOUR);
            String totals = issue(fixture, RequestLogMode.DAILY_TOTALS);

            List<String> hourIds = batchRequestIds(fixture, hour);
            List<String> totalsIds = batchRequestIds(fixture, totals);
            fixture.gateway.flushMetering();

            assertTimesCutTo(hourIds, 3_600_000);
            assertTimesCutTo(totalsIds, 86_400_000);
            try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("veil.db"))) {
                assertRows(db, hourIds, 3_600_000, false);
                String totalsKeyId = keyIdOf(fixture, totals);
                assertThat(count(db, "SELECT COUNT(*) FROM request_log WHERE key_id = ?", totalsKeyId)).isZero();
                assertThat(count(db, "SELECT requests FROM request_totals WHERE key_id = ? AND endpoint = "
                        + "'batch.chat.completions' AND status_class = '2xx'", totalsKeyId)).isEqualTo(3);
            }
            for (String id : totalsIds) {
                assertThat(new CanaryScanner(id).filesContaining(dataDir)).as("files holding %s", id).isEmpty();
            }
        }
    }

    /** Runs a three-line chat batch for {@code apiKey} and returns the request ids of its output lines. */
    private static List<String> batchRequestIds(GatewayFixture fixture, String apiKey) throws Exception {
        OpenAIClient client = fixture.openAiClient(apiKey);
        try {
            String jsonl = BatchApiTest.chatLine("a", "one") + "\n" + BatchApiTest.chatLine("b", "two") + "\n"
                    + BatchApiTest.chatLine("c", "three") + "\n";
            String fileId = BatchApiTest.upload(client, jsonl).id();
            Batch done = BatchApiTest.await(client, client.batches().create(BatchCreateParams.builder()
                    .inputFileId(fileId).endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
            assertThat(done.status().asString()).isEqualTo("completed");
            List<String> ids = new ArrayList<>();
            for (JsonNode line : BatchApiTest.lines(BatchApiTest.content(client, done.outputFileId().orElseThrow()))) {
                ids.add(line.path("response").path("request_id").asText());
            }
            assertThat(ids).hasSize(3);
            return ids;
        } finally {
            client.close();
        }
    }

    private record Answered(List<String> ids, List<String> receipts) {
    }

    /** A key in {@code mode} whose request log is kept 5 days. */
    private static String issue(GatewayFixture fixture, RequestLogMode mode) {
        IssuedKey key = ApiKeyIssuer.issue(mode.wireName(), KeyPolicy.UNRESTRICTED.withRequestLog(mode, 5), Instant.now());
        fixture.gateway.store().apiKeys().insert(key.record());
        return key.secret();
    }

    /** A whole answer and a stream, both 200, with their request ids and receipts. */
    private static Answered twoRequests(GatewayFixture fixture, String apiKey) {
        List<String> ids = new ArrayList<>();
        List<String> receipts = new ArrayList<>();
        for (String body : List.of(CHAT + "}", CHAT + ",\"stream\":true}")) {
            HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin()
                    + "/v1/chat/completions")).header("authorization", "Bearer " + apiKey)
                    .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
            assertThat(response.statusCode()).isEqualTo(200);
            String id = response.headers().firstValue("x-request-id").orElseThrow();
            String receipt = response.headers().firstValue("x-veil-receipt").orElseThrow();
            assertThat(receipt).contains("\"request_id\":\"" + id + "\"");
            ids.add(id);
            receipts.add(receipt);
        }
        return new Answered(ids, receipts);
    }

    private static HttpResponse<String> get(GatewayFixture fixture, String path, String apiKey) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + path))
                .header("authorization", "Bearer " + apiKey).GET());
    }

    private static String keyIdOf(GatewayFixture fixture, String apiKey) throws Exception {
        return JSON.readTree(get(fixture, "/v1/usage", apiKey).body()).path("key_id").asText();
    }

    private static long timeOf(String requestId) {
        assertThat(requestId).matches("req_[0-9a-f]{32}");
        return Long.parseLong(requestId.substring(4, 16), 16);
    }

    private static void assertTimesCutTo(List<String> ids, long unitMillis) {
        for (String id : ids) {
            assertThat(timeOf(id) % unitMillis).as("time in %s cut to %d ms", id, unitMillis).isZero();
            assertThat(timeOf(id)).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(2 * unitMillis));
        }
    }

    /** Each id has its row, whose time is cut to the unit and equals the id's; coarse rows sit at random rowids. */
    private static void assertRows(Connection db, List<String> ids, long unitMillis, boolean appended) throws Exception {
        for (String id : ids) {
            try (PreparedStatement s = db.prepareStatement(
                    "SELECT created_at, rowid FROM request_log WHERE request_id = ?")) {
                s.setString(1, id);
                try (ResultSet rows = s.executeQuery()) {
                    assertThat(rows.next()).as("row of %s", id).isTrue();
                    long createdAt = rows.getLong(1);
                    assertThat(createdAt % unitMillis).as("created_at of %s", id).isZero();
                    assertThat(createdAt).isEqualTo(timeOf(id));
                    assertThat(rows.getLong(2) > 0).as("rowid of %s appended in order", id).isEqualTo(appended);
                }
            }
        }
    }

    private static long count(Connection db, String sql, String keyId) throws Exception {
        try (PreparedStatement s = db.prepareStatement(sql)) {
            s.setString(1, keyId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0;
            }
        }
    }
}
