package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The privacy canary: a unique marker goes through every endpoint and error path of a real gateway process running at
 * log level TRACE; afterwards the marker must not be in its logs, its data directory (SQLite file, WAL), its temp
 * directory, or {@code /metrics}. Positive controls prove the marker really travelled (the fake upstream saw it and
 * clients got it back) and that the scanner finds it where it is.
 */
class PrivacyCanaryTest {

    private final String canary = "CANARY" + UUID.randomUUID().toString().replace("-", "");
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<String> clientSaw = new ArrayList<>();
    private RedisServer redis;
    private FakeAnthropicUpstream anthropic;
    private List<String> redisKeys = List.of();

    @TempDir
    Path work;

    @Test
    @Timeout(180)
    void noContentLeavesRequestMemoryOnSqlite() throws Exception {
        run(null, null);
    }

    /**
     * The same run with the metadata store in PostgreSQL (as several instances use it, docs/deployment.md): after a
     * checkpoint, the canary must not be in any of the database's files (tables, indexes, WAL) either.
     */
    @Test
    @Timeout(240)
    void noContentLeavesRequestMemoryOnPostgres() throws Exception {
        Path pgData = work.resolve("postgres");
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setDataDirectory(pgData)
                .setCleanDataDirectory(false).start()) {
            String jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
            run(jdbcUrl, () -> {
                try (java.sql.Connection db = java.sql.DriverManager.getConnection(jdbcUrl)) {
                    db.createStatement().execute("CHECKPOINT");
                }
                assertThat(new CanaryScanner(canary).filesContaining(pgData))
                        .as("PostgreSQL files (tables, indexes, WAL) holding the canary").isEmpty();
                assertThat(new CanaryScanner("request_totals").filesContaining(pgData))
                        .as("positive control: the scan reads PostgreSQL's catalog files").isNotEmpty();
            });
        }
    }

    /** A check run on the external database after the gateway stopped. */
    private interface StoreCheck {
        void run() throws Exception;
    }

    /** The canary through a gateway process whose store is SQLite ({@code jdbcUrl} null) or the given database. */
    private void run(String jdbcUrl, StoreCheck externalStoreCheck) throws Exception {
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path tmpDir = Files.createDirectories(work.resolve("tmp"));
        Path log = work.resolve("gateway.log");
        int port = GatewayProcess.freePort();
        String metrics;
        String auditExport;
        // Limits are counted in a real Redis, as with several instances: it must hold no content either.
        try (FakeUpstream upstream = FakeUpstream.start(); RedisServer redis = RedisServer.start(work.resolve("redis"));
             FakeAnthropicUpstream anthropic = FakeAnthropicUpstream.start(MessagesApiTest.ANTHROPIC_SECRET)) {
            this.redis = redis;
            this.anthropic = anthropic;
            String yaml = withProviderAttestation(withAnthropicUpstream(GatewayFixture.yaml(upstream.baseUrl(), dataDir,
                    1_500, "    apis: [chat, responses]\n"), anthropic)
                    .replace("port: 0", "port: " + port)
                    .replace("  - name: nowhere\n", "  - name: fake-chat-only\n    base_url: " + upstream.baseUrl()
                            + "\n  - name: nowhere\n")
                    .replace("models:\n", "models:\n  - id: test-translated\n    routes:\n      - name: translated\n"
                            + "        upstream: fake-chat-only\n        model: upstream-chat\n"), upstream)
                    .replace("store:\n", jdbcUrl == null ? "store:\n" : "store:\n  jdbc_url: " + jdbcUrl + "\n")
                    + "redis:\n  url: " + redis.url() + "\n"
                    // Nodes join this gateway with simulated evidence (the join path below).
                    + "attestation: {allowed_formats: [simulated], allow_simulated: true, reattest_interval_ms: 2000}\n";
            Path config = Files.writeString(work.resolve("veil.yaml"), yaml);
            Map<String, String> env = Map.of("VEIL_LOG_LEVEL", "TRACE", "FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
                    "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN, "ANTHROPIC_UPSTREAM_KEY", MessagesApiTest.ANTHROPIC_SECRET);
            try (GatewayProcess gateway = GatewayProcess.start(List.of("-Djava.io.tmpdir=" + tmpDir),
                    List.of("serve", "--config", config.toString()), env, log)) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                String origin = "http://127.0.0.1:" + port;
                String key = createKey(origin);

                exerciseEveryPath(origin, key, upstream);
                auditExport = auditLogAfterAdminActions(origin, key);
                metrics = send(HttpRequest.newBuilder(URI.create(origin + "/metrics")).GET()).body();
                assertThat(gateway.stop()).as("graceful stop").isIn(0, 143);
            }
            assertThat(redis.command("SAVE")).isEqualTo("+OK");
            assertThat(new CanaryScanner(canary).filesContaining(redis.dir())).as("Redis files holding the canary").isEmpty();
            assertThat(redis.dir().resolve("dump.rdb")).as("Redis wrote its data out").exists();
            // Positive control: the canary reached the upstreams and came back to clients.
            assertThat(upstream.requests()).anySatisfy(r -> assertThat(r.body()).contains(canary));
            assertThat(anthropic.requests()).anySatisfy(r -> assertThat(r.body()).contains(canary));
            assertThat(clientSaw).anySatisfy(body -> assertThat(body).contains(canary));
        }

        CanaryScanner scanner = new CanaryScanner(canary);
        String logText = Files.readString(log);
        assertThat(logText).as("TRACE logging was really on").containsAnyOf(" TRACE ", " DEBUG ");
        assertThat(logText).contains("request_id=");
        assertThat(scanner.contains(logText)).as("canary in the gateway's log output").isFalse();
        assertThat(scanner.filesContaining(dataDir)).as("files in the data directory holding the canary").isEmpty();
        assertThat(scanner.filesContaining(tmpDir)).as("temp files holding the canary").isEmpty();
        assertThat(scanner.contains(metrics)).as("canary in /metrics").isFalse();
        assertThat(scanner.contains(auditExport)).as("canary in the audit log's export").isFalse();
        // Positive control: the limited key was counted in Redis, under a hash of its id only.
        assertThat(redisKeys).isNotEmpty()
                .allMatch(k -> k.matches("veil:limits:\\{[0-9a-f]{32}\\}:(requests|tokens|inflight|spend)"));
        assertThat(scanner.contains(String.join(" ", redisKeys))).isFalse();
        assertThat(metrics).contains("veil_requests_total");
        if (jdbcUrl == null) {
            assertThat(Files.list(dataDir).map(p -> p.getFileName().toString())).contains("veil.db");
        } else {
            assertThat(Files.list(dataDir).map(p -> p.getFileName().toString())).doesNotContain("veil.db");
            externalStoreCheck.run();
        }
        // Positive control for the minimised keys: their requests were metered, as daily totals and coarse rows
        // (on SQLite coarse rows take negative rowids; on PostgreSQL any row at a whole hour).
        try (java.sql.Connection db = java.sql.DriverManager.getConnection(jdbcUrl != null ? jdbcUrl
                : "jdbc:sqlite:" + dataDir.resolve("veil.db"));
             java.sql.ResultSet totals = db.createStatement().executeQuery("SELECT SUM(requests) FROM request_totals");
             java.sql.ResultSet hourRows = db.createStatement().executeQuery("SELECT COUNT(*) FROM request_log WHERE "
                     + (jdbcUrl == null ? "rowid < 0 AND " : "") + "created_at % 3600000 = 0")) {
            totals.next();
            hourRows.next();
            assertThat(totals.getLong(1)).as("requests kept as daily totals").isGreaterThan(4);
            assertThat(hourRows.getLong(1)).as("rows kept with the hour only").isGreaterThan(4);
        }

        // Scanner control: it does find the marker in a binary-ish file where it is.
        Path control = Files.write(Files.createDirectories(work.resolve("control")).resolve("x.bin"),
                ("\u0000\u0001" + canary + "\u0002").getBytes(StandardCharsets.UTF_8));
        assertThat(scanner.filesContaining(control.getParent())).containsExactly(control);
    }

    /**
     * Adds an upstream whose TEE claim is checked from the provider's attestation report (the fake answers that GET
     * with no report, so the claim never holds) and a model served by it, downgraded.
     */
    private static String withProviderAttestation(String yaml, FakeUpstream upstream) {
        return yaml.replace("  - name: nowhere\n", "  - name: attested\n    base_url: " + upstream.baseUrl()
                        + "\n    attestation: {kind: dstack, model: upstream-chat, timeout_ms: 2000}\n  - name: nowhere\n")
                .replace("  - id: test-unreachable\n", "  - id: test-attested\n    routes:\n      - upstream: attested\n"
                        + "        model: upstream-chat\n        policy: {trains: false, zdr: true, tee: tdx}\n"
                        + "  - id: test-unreachable\n");
    }

    private void exerciseEveryPath(String origin, String key, FakeUpstream upstream) throws Exception {
        String chat = "{\"model\":\"test-chat\",\"user\":\"" + canary + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]";
        // Success paths, whole and streamed, on every inference endpoint.
        expect(post(origin, key, "/v1/chat/completions", chat + "}"), 200);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true}"), 200);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"), 200);
        expect(post(origin, key, "/v1/completions", "{\"model\":\"test-chat\",\"prompt\":\"" + canary + "\"}"), 200);
        expect(post(origin, key, "/v1/completions", "{\"model\":\"test-chat\",\"stream\":true,\"prompt\":\"" + canary + "\"}"), 200);
        expect(post(origin, key, "/v1/embeddings", "{\"model\":\"test-embed\",\"input\":[\"" + canary + "\"]}"), 200);
        // An upstream that reports no usage: Veil counts prompt and answer text itself, and writes the usage chunk.
        upstream.mode(FakeUpstream.Mode.NO_USAGE);
        expect(post(origin, key, "/v1/chat/completions", chat + "}"), 200);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true}"), 200);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"), 200);
        expect(post(origin, key, "/v1/completions", "{\"model\":\"test-chat\",\"stream\":true,\"prompt\":\"" + canary + "\"}"), 200);
        expect(post(origin, key, "/v1/embeddings", "{\"model\":\"test-embed\",\"input\":[\"" + canary + "\"]}"), 200);
        upstream.mode(FakeUpstream.Mode.OK);
        // A route whose provider attestation does not verify: served without its TEE claim, and refused for tee.
        String attested = chat.replace("\"test-chat\"", "\"test-attested\"");
        expect(post(origin, key, "/v1/chat/completions", attested + "}"), 200);
        expect(post(origin, key, "/v1/chat/completions", attested + ",\"privacy\":{\"min_mode\":\"tee\"}}"), 403);
        // Identity headers carrying the canary.
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .header("x-forwarded-for", canary).header("cookie", "session=" + canary).header("openai-organization", canary)
                .POST(HttpRequest.BodyPublishers.ofString(chat + "}"))), 200);

        // Bad input: malformed JSON around the canary, wrong types, unknown model and paths, too large.
        expect(post(origin, key, "/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":[{\"content\":\"" + canary), 400);
        expect(post(origin, key, "/v1/chat/completions", "{\"model\": " + canary + "}"), 400);
        expect(post(origin, key, "/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":\"" + canary + "\"}"), 400);
        expect(post(origin, key, "/v1/chat/completions", "{\"" + canary + "\":1,\"" + canary + "\":2}"), 400);
        expect(post(origin, key, "/v1/chat/completions", "{\"model\":\"" + canary + "\",\"messages\":[]}"), 404);
        expect(post(origin, key, "/v1/embeddings", "{\"model\":\"test-embed\",\"input\":{\"x\":\"" + canary + "\"}}"), 400);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"pad\":\"" + canary.repeat(3000) + "\"}"), 413);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/models/" + canary)).header("authorization", "Bearer " + key).GET()), 404);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/" + canary)).header("authorization", "Bearer " + key).GET()), 404);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage?start_date=" + canary)).header("authorization", "Bearer " + key).GET()), 400);
        // The receipt key's endpoint (signed receipts): its query is ignored, never logged.
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/transparency/receipt-key?probe=" + canary))
                .header("authorization", "Bearer " + key).GET()), 200);
        // Credentials carrying the canary.
        expect(post(origin, canary, "/v1/chat/completions", chat + "}"), 401);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys")).header("authorization", "Bearer " + canary).GET()), 401);

        // Routing policies around the canary: refusals, bad policy fields, unknown fallback models.
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"privacy\":{\"routes_allow\":[\"" + canary + "\"]}}"), 403);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"models\":[\"" + canary + "\"],\"privacy\":{\"min_mode\":\"e2ee\"}}"), 403);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"provider\":{\"" + canary + "\":1}}"), 400);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"privacy\":{\"min_mode\":\"" + canary + "\"}}"), 400);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"provider\":{\"order\":[\"" + canary + "\"],\"sort\":\"price\"}}"), 200);
        // Key policies: bad admin input around the canary, and a rate-limited key's 429.
        String keyId = keyIdOf(origin, key);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys/" + keyId))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"policy\":{\"" + canary + "\":1}}"))), 400);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys/" + canary))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"preset\":\"internal\"}"))), 404);
        String limited = createKey(origin, "{\"name\":\"limited\",\"policy\":{\"rpm\":1,\"tpm\":100000,"
                + "\"max_concurrent\":4}}");
        expect(post(origin, limited, "/v1/chat/completions", chat + "}"), 200);
        expect(post(origin, limited, "/v1/chat/completions", chat + "}"), 429);
        // Read now: the counters expire a minute after their last use.
        redisKeys = redis.keys();
        assertThat(redis.command("SAVE")).isEqualTo("+OK");
        assertThat(new CanaryScanner(canary).filesContaining(redis.dir())).as("Redis files holding the canary").isEmpty();
        // Keys whose request log is minimised (coarse time, daily totals only, a short retention): the same paths, and
        // bad minimisation settings around the canary.
        String totalsOnly = null;
        for (String mode : List.of("minute", "hour", "daily_totals")) {
            String minimised = createKey(origin, "{\"name\":\"" + mode + "\",\"policy\":{\"request_log\":\"" + mode
                    + "\",\"request_log_retention_days\":1}}");
            expect(post(origin, minimised, "/v1/chat/completions", chat + "}"), 200);
            expect(post(origin, minimised, "/v1/chat/completions", chat + ",\"stream\":true}"), 200);
            expect(post(origin, minimised, "/v1/completions", "{\"model\":\"test-chat\",\"prompt\":\"" + canary + "\"}"), 200);
            expect(post(origin, minimised, "/v1/embeddings", "{\"model\":\"test-embed\",\"input\":[\"" + canary + "\"]}"), 200);
            expect(post(origin, minimised, "/v1/chat/completions", chat + ",\"privacy\":{\"routes_allow\":[\"" + canary + "\"]}}"), 403);
            expect(post(origin, minimised, "/v1/chat/completions", "{\"model\":\"" + canary + "\",\"messages\":[]}"), 404);
            expect(post(origin, minimised, "/v1/chat/completions", "{\"model\": " + canary + "}"), 400);
            expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage?end_date=" + canary)).header("authorization", "Bearer " + minimised).GET()), 400);
            expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage")).header("authorization", "Bearer " + minimised).GET()), 200);
            totalsOnly = minimised;
        }
        for (String policy : List.of("{\"request_log\":\"" + canary + "\"}", "{\"request_log_retention_days\":\"" + canary + "\"}",
                "{\"request_log_retention_days\":" + canary + "}")) {
            expect(send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys/" + keyId))
                    .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                    .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"policy\":" + policy + "}"))), 400);
        }

        // Upstream errors whose bodies carry the canary.
        upstream.error(400, "{\"error\":{\"message\":\"bad " + canary + "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
        expect(post(origin, key, "/v1/chat/completions", chat + "}"), 400);
        upstream.error(500, "{\"error\":{\"message\":\"boom " + canary + "\"}}");
        expect(post(origin, key, "/v1/chat/completions", chat + "}"), 502);
        expect(post(origin, totalsOnly, "/v1/chat/completions", chat + "}"), 502);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true}"), 502);
        upstream.error(429, canary);
        expect(post(origin, key, "/v1/embeddings", "{\"model\":\"test-embed\",\"input\":\"" + canary + "\"}"), 429);
        upstream.error(401, "{\"error\":{\"message\":\"" + canary + "\"}}");
        expect(post(origin, key, "/v1/chat/completions", chat + "}"), 502);

        // Streams that break: reset mid-stream, ended without [DONE], upstream silent, client gone.
        upstream.mode(FakeUpstream.Mode.RESET_MID_STREAM);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.SILENT);
        expect(post(origin, key, "/v1/chat/completions", chat + "}"), 504);
        upstream.mode(FakeUpstream.Mode.OK).gapMillis(50).extraChunks(40);
        abortMidStream(origin, key, chat + ",\"stream\":true}");
        upstream.mode(FakeUpstream.Mode.OK).gapMillis(5).extraChunks(0);
        exerciseMessages(origin, key, upstream);
        expect(post(origin, key, "/v1/chat/completions", "{\"model\":\"test-unreachable\",\"messages\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]}"), 502);
        exerciseResponses(origin, key, upstream);
        exerciseNodeJoin(origin, key, upstream);
        dashboard(origin, key);
    }

    /**
     * The node network's join path (docs/network.md): join requests and tokens carrying the canary are refused without
     * quoting it, and a node that joined serves a request carrying the canary, then leaves.
     */
    private void exerciseNodeJoin(String origin, String key, FakeUpstream upstream) throws Exception {
        HttpResponse<String> issued = send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/join-tokens"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"label\":\"canary-node\",\"models\":[\"joined-chat\"]}")));
        expect(issued, 201);
        String token = new com.fasterxml.jackson.databind.ObjectMapper().readTree(issued.body()).path("token").asText();
        String good = "{\"url\":\"http://127.0.0.1:9\",\"name\":\"n\",\"models\":[\"joined-chat\"]}";
        expect(post(origin, canary, "/v1/nodes/join", good), 401);
        expect(post(origin, token, "/v1/nodes/join", "{\"url\":\"" + canary), 400);
        expect(post(origin, token, "/v1/nodes/join", good.replace("127.0.0.1:9", "127.0.0.1:9/" + canary)), 400);
        expect(post(origin, token, "/v1/nodes/join", good.replace("\"n\"", "\"<" + canary + ">\"")), 400);
        expect(post(origin, token, "/v1/nodes/join", good.replace("joined-chat", canary)), 403);
        expect(post(origin, token, "/v1/nodes/join", good.replace("\"name\"", "\"" + canary + "\"")), 400);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/nodes/nr_" + canary))
                .header("authorization", "Bearer " + canary).DELETE()), 401);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/nodes/" + canary + "/ban"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody())), 404);
        // The refusals above registered nothing, so the token still admits one node.
        String chat = "{\"model\":\"joined-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]";
        try (dev.veil.node.VeilNode node = dev.veil.node.VeilNode.start(dev.veil.node.NodeSettings.of(upstream.baseUrl(),
                Map.of("joined-chat", "upstream-chat")))) {
            node.join(URI.create(origin), token, node.baseUrl(), "canary-node");
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            HttpResponse<String> served = post(origin, key, "/v1/chat/completions", chat + "}");
            while (served.statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                served = post(origin, key, "/v1/chat/completions", chat + "}");
            }
            expect(served, 200);
            assertThat(served.headers().firstValue("x-veil-privacy-mode")).contains("tee");
            expect(post(origin, key, "/v1/chat/completions", chat + ",\"stream\":true}"), 200);
        }
    }

    /** {@code POST /v1/responses} and its refusals: every path of the Responses API carries the canary. */
    private void exerciseResponses(String origin, String key, FakeUpstream upstream) throws Exception {
        String input = "{\"model\":\"test-chat\",\"user\":\"" + canary + "\",\"safety_identifier\":\"" + canary
                + "\",\"prompt_cache_key\":\"" + canary + "\",\"metadata\":{\"k\":\"" + canary + "\"},\"instructions\":\""
                + canary + "\",\"input\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]";
        expect(post(origin, key, "/v1/responses", input + "}"), 200);
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true}"), 200);
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true,\"tools\":[{\"type\":\"function\",\"name\":\"f"
                + "\",\"description\":\"" + canary + "\",\"parameters\":{\"type\":\"object\"}}]}"), 200);
        upstream.mode(FakeUpstream.Mode.NO_USAGE);
        expect(post(origin, key, "/v1/responses", input + "}"), 200);
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.RESET_MID_STREAM);
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.OK).extraEventType("response." + canary.toLowerCase());
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true}"), 200);
        upstream.reset();
        upstream.error(400, "{\"error\":{\"message\":\"bad " + canary + "\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":null}}");
        expect(post(origin, key, "/v1/responses", input + "}"), 400);
        upstream.error(500, "{\"error\":{\"message\":\"boom " + canary + "\"}}");
        expect(post(origin, key, "/v1/responses", input + ",\"stream\":true}"), 502);
        upstream.mode(FakeUpstream.Mode.OK);
        // Refusals: state Veil does not keep, stored responses, policy, a model that speaks only chat, bad input.
        expect(post(origin, key, "/v1/responses", input + ",\"previous_response_id\":\"" + canary + "\"}"), 400);
        expect(post(origin, key, "/v1/responses", input + ",\"conversation\":\"" + canary + "\"}"), 400);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/responses/" + canary))
                .header("authorization", "Bearer " + key).GET()), 400);
        expect(post(origin, key, "/v1/responses", input + ",\"privacy\":{\"routes_allow\":[\"" + canary + "\"]}}"), 403);
        expect(post(origin, key, "/v1/responses", "{\"model\":\"test-unreachable\",\"include\":[\"x\"],\"input\":\""
                + canary + "\"}"), 400);
        expect(post(origin, key, "/v1/responses", "{\"model\":\"test-unreachable\",\"tools\":[{\"type\":\""
                + canary.toLowerCase() + "\"}],\"input\":\"" + canary + "\"}"), 400);
        // Translated for an upstream that speaks only chat completions (the same fake, declared chat-only).
        String translated = input.replace("\"test-chat\"", "\"test-translated\"");
        expect(post(origin, key, "/v1/responses", translated + "}"), 200);
        expect(post(origin, key, "/v1/responses", translated + ",\"stream\":true}"), 200);
        expect(post(origin, key, "/v1/responses", translated + ",\"stream\":true,\"tools\":[{\"type\":\"function\","
                + "\"name\":\"f\",\"description\":\"" + canary + "\",\"parameters\":{\"type\":\"object\"}}]}"), 200);
        upstream.mode(FakeUpstream.Mode.NO_USAGE);
        expect(post(origin, key, "/v1/responses", translated + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        expect(post(origin, key, "/v1/responses", translated + ",\"stream\":true}"), 200);
        upstream.mode(FakeUpstream.Mode.OK);
        expect(post(origin, key, "/v1/responses", "{\"model\":\"test-chat\",\"messages\":[\"" + canary + "\"]}"), 400);
        expect(post(origin, key, "/v1/responses", "{\"model\":\"test-chat\",\"input\":{\"x\":\"" + canary + "\"}}"), 400);
    }

    /**
     * The dashboard: logins whose token or body is the canary (wrong token, broken JSON) must not log or store it, and
     * no dashboard answer (operator views, a key's own view, the pages) may hold the canary the requests above carried.
     */
    private void dashboard(String origin, String key) throws Exception {
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create(origin + "/ui/login"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + canary + "\"}")));
        expect(wrong, 401);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/ui/login")).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":" + canary))), 400);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/ui/login")).header("content-type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(canary))), 415);
        HttpResponse<String> login = send(HttpRequest.newBuilder(URI.create(origin + "/ui/login"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + GatewayFixture.ADMIN_TOKEN + "\"}")));
        expect(login, 200);
        String cookie = login.headers().firstValue("set-cookie").orElseThrow().split(";", 2)[0];
        List<String> answers = new ArrayList<>();
        for (String path : List.of("/ui", "/ui/app.js", "/ui/session", "/v1/admin/usage", "/v1/admin/usage?group_by=model",
                "/v1/admin/usage?group_by=key", "/v1/admin/requests?limit=200", "/v1/admin/routes", "/v1/admin/nodes",
                "/v1/admin/batches", "/admin/keys")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(origin + path)).header("cookie", cookie).GET());
            expect(r, 200);
            answers.add(r.body());
        }
        for (String path : List.of("/v1/key", "/v1/key?view=usage&group_by=model", "/v1/key?view=batches")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(origin + path))
                    .header("authorization", "Bearer " + key).GET());
            expect(r, 200);
            answers.add(r.body());
        }
        assertThat(String.join("\n", answers)).contains("test-chat").doesNotContain(canary);
    }

    /**
     * Admin actions on keys that carried the canary in their requests, and paging refused around the canary: the
     * audit log gets entries (positive control) and its export is returned for the final scan.
     */
    private String auditLogAfterAdminActions(String origin, String key) throws Exception {
        String keyId = keyIdOf(origin, key);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys/" + keyId))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"preset\":\"internal\"}"))), 200);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys/" + keyId))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).DELETE()), 200);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/audit?after=" + canary))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).GET()), 400);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/audit?limit=" + canary))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).GET()), 400);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/audit")).header("authorization", "Bearer " + canary)
                .GET()), 401);
        HttpResponse<String> export = send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/audit?limit=1000"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN).GET());
        expect(export, 200);
        assertThat(export.body()).as("positive control: the admin actions are in the audit log")
                .contains("\"key.created\"", "\"key.policy_changed\"", "\"key.revoked\"", "\"config.loaded\"");
        return export.body();
    }

    /** The fixture's YAML plus an Anthropic-compatible upstream serving the model {@code claude-canary}. */
    private static String withAnthropicUpstream(String yaml, FakeAnthropicUpstream anthropic) {
        return yaml.replace("models:\n", """
                  - name: anthropic
                    base_url: %s
                    apis: [messages]
                    api_key_env: ANTHROPIC_UPSTREAM_KEY
                    idle_timeout_ms: 1500
                models:
                  - id: claude-canary
                    routes:
                      - name: anthropic-zdr
                        upstream: anthropic
                        model: upstream-claude
                        policy: { trains: false, retention_days: 0, zdr: true }
                """.formatted(anthropic.baseUrl()));
    }

    /**
     * {@code /v1/messages} through a native Anthropic upstream and translated to the OpenAI one: whole and streamed,
     * identity in {@code metadata.user_id}, refusals, bad input and broken upstreams, all around the canary.
     */
    private void exerciseMessages(String origin, String key, FakeUpstream upstream) {
        String body = "\"max_tokens\":16,\"system\":\"" + canary + "\",\"metadata\":{\"user_id\":\"" + canary
                + "\"},\"messages\":[{\"role\":\"user\",\"content\":\"" + canary + "\"}]";
        for (String model : List.of("claude-canary", "test-chat")) {
            String messages = "{\"model\":\"" + model + "\"," + body;
            expect(messages(origin, key, messages + "}"), 200);
            expect(messages(origin, key, messages + ",\"stream\":true}"), 200);
            expect(messages(origin, key, messages + ",\"privacy\":{\"routes_allow\":[\"" + canary + "\"]}}"), 403);
            expect(messages(origin, key, messages + ",\"" + canary + "\":1}"), 400);
            expect(messages(origin, key, messages + ",\"tools\":[{\"name\":\"" + canary + "\",\"type\":\"" + canary
                    + "\",\"input_schema\":{}}]}"), model.equals("test-chat") ? 400 : 200);
        }
        // Positive control, checked here because exerciseResponses later resets the fake's record.
        assertThat(upstream.requests()).as("translated Messages requests").anySatisfy(r -> assertThat(r.body())
                .contains(canary).contains("\"max_tokens\":16"));
        expect(messages(origin, key, "{\"model\":\"" + canary + "\"," + body + "}"), 404);
        expect(messages(origin, key, "{\"model\":\"claude-canary\",\"messages\":[{\"content\":\"" + canary), 400);
        expect(messages(origin, canary, "{\"model\":\"claude-canary\"," + body + "}"), 401);
        expect(send(HttpRequest.newBuilder(URI.create(origin + "/v1/messages")).header("x-api-key", key)
                .header("anthropic-version", canary).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"claude-canary\"," + body + "}"))), 400);
        // Upstream errors and broken streams carrying the canary, native and translated.
        anthropic.error(400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad "
                + canary + "\"}}");
        expect(messages(origin, key, "{\"model\":\"claude-canary\"," + body + "}"), 400);
        anthropic.error(500, "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"" + canary + "\"}}");
        expect(messages(origin, key, "{\"model\":\"claude-canary\"," + body + "}"), 502);
        for (FakeAnthropicUpstream.Mode mode : List.of(FakeAnthropicUpstream.Mode.OVERLOADED,
                FakeAnthropicUpstream.Mode.CUT_BEFORE_STOP, FakeAnthropicUpstream.Mode.ERROR_EVENT,
                FakeAnthropicUpstream.Mode.UNKNOWN_EVENT, FakeAnthropicUpstream.Mode.NO_USAGE)) {
            anthropic.mode(mode);
            expect(messages(origin, key, "{\"model\":\"claude-canary\",\"stream\":true," + body + "}"),
                    mode == FakeAnthropicUpstream.Mode.OVERLOADED ? 529 : 200);
            anthropic.mode(mode);
            expect(messages(origin, key, "{\"model\":\"claude-canary\"," + body + "}"),
                    mode == FakeAnthropicUpstream.Mode.OVERLOADED ? 529 : 200);
        }
        anthropic.mode(FakeAnthropicUpstream.Mode.OK);
        upstream.error(500, "{\"error\":{\"message\":\"boom " + canary + "\"}}");
        expect(messages(origin, key, "{\"model\":\"test-chat\"," + body + "}"), 502);
        for (FakeUpstream.Mode mode : List.of(FakeUpstream.Mode.END_WITHOUT_DONE, FakeUpstream.Mode.RESET_MID_STREAM,
                FakeUpstream.Mode.NO_USAGE)) {
            upstream.mode(mode);
            expect(messages(origin, key, "{\"model\":\"test-chat\",\"stream\":true," + body + "}"), 200);
        }
        upstream.mode(FakeUpstream.Mode.NO_USAGE);
        expect(messages(origin, key, "{\"model\":\"test-chat\"," + body + "}"), 200);
        upstream.mode(FakeUpstream.Mode.OK);
    }

    private HttpResponse<String> messages(String origin, String key, String json) {
        return send(HttpRequest.newBuilder(URI.create(origin + "/v1/messages")).header("x-api-key", key)
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private String createKey(String origin) {
        return createKey(origin, "{\"name\":\"canary-test\"}");
    }

    private String keyIdOf(String origin, String key) throws Exception {
        String usage = send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage")).header("authorization", "Bearer " + key).GET()).body();
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(usage).path("key_id").asText();
    }

    private String createKey(String origin, String body) {
        HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        expect(created, 201);
        String answer = created.body();
        int at = answer.indexOf("\"key\":\"") + 7;
        return answer.substring(at, answer.indexOf('"', at));
    }

    private void abortMidStream(String origin, String key, String body) throws Exception {
        URI uri = URI.create(origin);
        try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer " + key
                    + "\r\ncontent-type: application/json\r\ncontent-length: " + bytes.length + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int total = 0;
            while (total < 600) {
                int n = in.read(buffer);
                if (n < 0) {
                    break;
                }
                total += n;
            }
            assertThat(total).as("stream started before the abort").isGreaterThan(0);
        }
        Thread.sleep(300);
    }

    private HttpResponse<String> post(String origin, String key, String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(origin + path)).header("authorization", "Bearer " + key)
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            clientSaw.add(response.body());
            return response;
        } catch (Exception e) {
            throw new AssertionError("request failed: " + e.getClass().getName(), e);
        }
    }

    private static void expect(HttpResponse<String> response, int status) {
        assertThat(response.statusCode()).as("status of %s %s", response.request().method(), response.request().uri().getPath())
                .isEqualTo(status);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
    }
}
