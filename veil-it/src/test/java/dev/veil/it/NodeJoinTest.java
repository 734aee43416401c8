package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.node.EvidenceSource;
import dev.veil.node.NodeSettings;
import dev.veil.node.SimulatedEvidenceSource;
import dev.veil.node.VeilNode;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes join a gateway by attestation with an operator's join token (docs/network.md): routed to only once their
 * evidence verified, serving only that gateway, listed with their identity, gone when they leave or are banned.
 */
@Timeout(90)
class NodeJoinTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ADMIN = "admin-secret-for-join-test";
    private static final String CHAT = "{\"model\":\"jm\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dataDir;
    private FakeUpstream engine;
    private Gateway gateway;
    private String key;

    @BeforeEach
    void start() throws Exception {
        engine = FakeUpstream.start();
        gateway = startGateway("");
        key = newKey();
    }

    @AfterEach
    void stop() throws Exception {
        gateway.close();
        engine.close();
    }

    @Test
    void aNodeJoinsIsAttestedServesOnlyItsGatewayAndLeaves() throws Exception {
        String token = issueToken("[\"jm\"]");
        try (VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("jm", "m")))) {
            String id = node.join(URI.create(origin()), token, node.baseUrl(), "gpu-box-1");
            assertThat(id).startsWith("nr_");
            // A token admits one join: a second node (or a replay of the join) gets nothing registered.
            HttpResponse<String> twice = post("/v1/nodes/join", token,
                    "{\"url\":\"http://127.0.0.1:9\",\"name\":\"second\",\"models\":[\"jm\"]}");
            assertThat(twice.statusCode()).isEqualTo(401);
            assertThat(twice.body()).contains("already used");

            JsonNode models = await(() -> get("/v1/models", key), m -> m.toString().contains("\"jm\""));
            assertThat(models.toString()).contains("\"jm\"");
            HttpResponse<String> served = post("/v1/chat/completions", key, CHAT);
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
            assertThat(served.headers().firstValue("x-veil-privacy-mode")).contains("tee");
            assertThat(served.headers().firstValue("x-veil-route")).contains(id);

            // The node now serves only its gateway: a direct caller without the credential gets nothing.
            HttpResponse<String> direct = HTTP.send(HttpRequest.newBuilder(URI.create(node.baseUrl()
                    + "/v1/attestation?nonce=" + "ab".repeat(32))).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(direct.statusCode()).isEqualTo(401);

            JsonNode nodes = get("/v1/admin/nodes", ADMIN);
            JsonNode entry = nodes.path("data").get(0);
            assertThat(entry.path("id").asText()).isEqualTo(id);
            assertThat(entry.path("kind").asText()).isEqualTo("joined");
            assertThat(entry.path("name").asText()).isEqualTo("gpu-box-1");
            assertThat(entry.path("state").asText()).isEqualTo("admitted");
            assertThat(entry.path("attestation").path("format").asText()).isEqualTo("simulated");
            assertThat(entry.path("attestation").path("last_verified_at").asText()).isNotEmpty();
            assertThat(nodes.toString()).doesNotContain("veil_nc_").doesNotContain(token);
        }
        // Closing the node deregistered it: its model is gone and the registration says it left.
        JsonNode after = await(() -> get("/v1/models", key), m -> !m.toString().contains("\"jm\""));
        assertThat(after.toString()).doesNotContain("\"jm\"");
        assertThat(get("/v1/admin/nodes", ADMIN).path("data").get(0).path("registration_state").asText())
                .isEqualTo("left");
        assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(404);
    }

    @Test
    void badTokensScopesAndRequestsAreRefusedWithTheReason() throws Exception {
        String token = issueToken("[\"jm\"]");
        String body = "{\"url\":\"http://127.0.0.1:9\",\"name\":\"n\",\"models\":[\"jm\"]}";
        HttpResponse<String> noToken = post("/v1/nodes/join", null, body);
        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(noToken.body()).contains("invalid_join_token");
        assertThat(post("/v1/nodes/join", "veil_jt_forged", body).statusCode()).isEqualTo(401);
        HttpResponse<String> outside = post("/v1/nodes/join", token,
                "{\"url\":\"http://127.0.0.1:9\",\"name\":\"n\",\"models\":[\"plain-model\"]}");
        assertThat(outside.statusCode()).isEqualTo(403);
        assertThat(outside.body()).contains("model_not_allowed_for_token");
        for (String bad : new String[]{"not json", "[]", "{\"url\":\"ftp://x\",\"name\":\"n\",\"models\":[\"jm\"]}",
                "{\"url\":\"http://127.0.0.1:9/path\",\"name\":\"n\",\"models\":[\"jm\"]}",
                "{\"url\":\"http://127.0.0.1:9\",\"name\":\"<script>\",\"models\":[\"jm\"]}",
                "{\"url\":\"http://127.0.0.1:9\",\"name\":\"n\",\"models\":[]}"}) {
            HttpResponse<String> refused = post("/v1/nodes/join", token, bad);
            assertThat(refused.statusCode()).as(bad).isEqualTo(400);
            assertThat(refused.body()).as(bad).contains("\"error\"");
        }
        // Revoked: no more joins with it.
        String id = get("/v1/admin/join-tokens", ADMIN).path("data").get(0).path("id").asText();
        assertThat(send("DELETE", "/v1/admin/join-tokens/" + id, ADMIN, null).statusCode()).isEqualTo(200);
        assertThat(post("/v1/nodes/join", token, body).statusCode()).isEqualTo(401);
        // The admin calls need the admin token; a node's leave needs its credential.
        assertThat(send("GET", "/v1/admin/nodes", key, null).statusCode()).isEqualTo(401);
        assertThat(send("DELETE", "/v1/nodes/nr_0000000000000000", "veil_nc_wrong", null).statusCode()).isEqualTo(401);
    }

    @Test
    void aBannedNodeIsRemovedAndCannotRejoinWithItsToken() throws Exception {
        String token = issueToken("[\"jm\"]");
        try (VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("jm", "m")))) {
            String id = node.join(URI.create(origin()), token, node.baseUrl(), "rogue");
            await(() -> get("/v1/models", key), m -> m.toString().contains("\"jm\""));
            HttpResponse<String> banned = send("POST", "/v1/admin/nodes/" + id + "/ban", ADMIN, "");
            assertThat(banned.statusCode()).as(banned.body()).isEqualTo(200);
            assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(404);
            HttpResponse<String> again = post("/v1/nodes/join", token,
                    "{\"url\":\"" + node.baseUrl() + "\",\"name\":\"rogue\",\"models\":[\"jm\"]}");
            assertThat(again.statusCode()).isEqualTo(401);
            assertThat(get("/v1/admin/nodes", ADMIN).path("data").get(0).path("registration_state").asText())
                    .isEqualTo("banned");
        }
        // The operator's actions are in the audit log, never the token itself.
        JsonNode audit = get("/v1/admin/audit?limit=1000", ADMIN);
        assertThat(audit.toString()).contains("join_token.issued").contains("node.banned").doesNotContain(token);
        // Its leave on close does not undo the ban.
        assertThat(get("/v1/admin/nodes", ADMIN).path("data").get(0).path("registration_state").asText())
                .isEqualTo("banned");
    }

    @Test
    void theOperatorCliIssuesListsAndRevokesTokensAndListsAndBansNodes() throws Exception {
        Map<String, String> env = Map.of("VEIL_ADMIN_TOKEN", ADMIN);
        Duration limit = Duration.ofSeconds(60);
        CompatProcess.Result created = CompatProcess.run(dataDir, limit, env, "nodes", "tokens", "create", "--model", "jm",
                "--label", "cli", "--gateway", origin());
        assertThat(created.exit()).as(created.stderr()).isZero();
        String token = JSON.readTree(created.stdout()).path("token").asText();
        assertThat(token).startsWith("veil_jt_");
        try (VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("jm", "m")))) {
            String id = node.join(URI.create(origin()), token, node.baseUrl(), "cli-node");
            await(() -> get("/v1/models", key), m -> m.toString().contains("\"jm\""));
            CompatProcess.Result listed = CompatProcess.run(dataDir, limit, env, "nodes", "list", "--gateway", origin());
            assertThat(listed.exit()).as(listed.stderr()).isZero();
            assertThat(listed.stdout()).contains(id).contains("\"admitted\"").doesNotContain(token);
            CompatProcess.Result banned = CompatProcess.run(dataDir, limit, env, "nodes", "ban", id, "--gateway", origin());
            assertThat(banned.exit()).as(banned.stderr()).isZero();
            assertThat(banned.stdout()).contains("\"banned\"");
        }
        CompatProcess.Result tokens = CompatProcess.run(dataDir, limit, env, "nodes", "tokens", "list", "--gateway", origin());
        assertThat(tokens.stdout()).contains("\"usable\" : false").doesNotContain(token);
        CompatProcess.Result noToken = CompatProcess.run(dataDir, limit, "nodes", "list", "--gateway", origin());
        assertThat(noToken.exit()).isEqualTo(2);
        assertThat(noToken.stderr()).contains("VEIL_ADMIN_TOKEN");
        CompatProcess.Result wrong = CompatProcess.run(dataDir, limit, Map.of("VEIL_ADMIN_TOKEN", "wrong"), "nodes", "list",
                "--gateway", origin());
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.stderr()).contains("401");
    }

    @Test
    void aNodeRefusedByTheAdmissionPolicyIsNeverRoutedAndEndsLost() throws Exception {
        // This gateway requires a verified GPU; the node has none, so its evidence fails the policy on every attempt.
        gateway.close();
        gateway = startGateway("min_gpus: 1, ");
        key = newKey();
        String token = issueToken("[\"jm\"]");
        try (VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("jm", "m")))) {
            String id = node.join(URI.create(origin()), token, node.baseUrl(), "no-gpu");
            JsonNode lost = await(() -> get("/v1/admin/nodes", ADMIN),
                    n -> "lost".equals(n.path("data").get(0).path("registration_state").asText()));
            JsonNode entry = lost.path("data").get(0);
            assertThat(entry.path("id").asText()).isEqualTo(id);
            assertThat(entry.path("registration_state").asText()).isEqualTo("lost");
            assertThat(entry.toString()).as("the list says why").contains("attestation failed");
            assertThat(get("/v1/models", key).toString()).doesNotContain("\"jm\"");
            assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(404);
        }
    }

    @Test
    void aNodeThatFailsReattestationIsDrainedAndDropped() throws Exception {
        String token = issueToken("[\"jm\"]");
        SwitchableEvidence evidence = new SwitchableEvidence();
        try (VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("jm", "m")), evidence)) {
            String id = node.join(URI.create(origin()), token, node.baseUrl(), "turns-bad");
            await(() -> get("/v1/models", key), m -> m.toString().contains("\"jm\""));
            assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(200);
            // From now on the node answers every challenge with evidence for another nonce.
            evidence.answerForAnotherNonce = true;
            JsonNode drained = await(() -> get("/v1/models", key), m -> !m.toString().contains("\"jm\""));
            assertThat(drained.toString()).as("routes drained at the first failed re-attestation").doesNotContain("\"jm\"");
            assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(404);
            JsonNode lost = await(() -> get("/v1/admin/nodes", ADMIN),
                    n -> "lost".equals(n.path("data").get(0).path("registration_state").asText()));
            assertThat(lost.path("data").get(0).path("id").asText()).isEqualTo(id);
            assertThat(lost.path("data").get(0).path("registration_state").asText()).isEqualTo("lost");
            // Good evidence again does not bring a lost registration back: the node must join anew.
            evidence.answerForAnotherNonce = false;
            Thread.sleep(2_500);
            assertThat(get("/v1/models", key).toString()).doesNotContain("\"jm\"");
        }
    }

    @Test
    void aNodeKilledWithoutLeavingIsDroppedAndEndsLost() throws Exception {
        String token = issueToken("[\"jm\"]");
        int port = GatewayProcess.freePort();
        Path output = dataDir.resolve("node.log");
        try (GatewayProcess node = GatewayProcess.start(List.of(), List.of("node", "--engine", engine.baseUrl(),
                "--model", "jm=m", "--port", Integer.toString(port), "--join", origin(), "--join-token-env", "JOIN_TOKEN",
                "--name", "killed"), Map.of("JOIN_TOKEN", token), output)) {
            JsonNode models = await(() -> get("/v1/models", key), m -> m.toString().contains("\"jm\""));
            assertThat(models.toString()).as(Files.readString(output)).contains("\"jm\"");
            assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(200);
            node.kill();
            JsonNode lost = await(() -> get("/v1/admin/nodes", ADMIN),
                    n -> "lost".equals(n.path("data").get(0).path("registration_state").asText()));
            assertThat(lost.path("data").get(0).path("registration_state").asText()).isEqualTo("lost");
            assertThat(get("/v1/models", key).toString()).doesNotContain("\"jm\"");
            assertThat(post("/v1/chat/completions", key, CHAT).statusCode()).isEqualTo(404);
        }
    }

    /** Simulated evidence that, when told to, answers a challenge with evidence made for another nonce. */
    private static final class SwitchableEvidence implements EvidenceSource {
        private final SimulatedEvidenceSource simulated = new SimulatedEvidenceSource(NodeSettings.DEFAULT_IDENTITY);
        volatile boolean answerForAnotherNonce;

        @Override
        public Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce, byte[] gpuSetDigest) {
            byte[] used = nonce.clone();
            if (answerForAnotherNonce) {
                used[0] ^= 1;
            }
            return simulated.attest(keyConfig, signingKey, used, gpuSetDigest);
        }

        @Override
        public String format() {
            return simulated.format();
        }
    }

    @Test
    void aJoinedNodeThatRotatesItsKeyIsAttestedAgainAtOnce() throws Exception {
        // Scheduled re-attestation is ten minutes away: only the rotation can make the gateway attest again.
        gateway.close();
        gateway = startGateway("", 600_000);
        key = newKey();
        String token = issueToken("[\"jm\"]");
        NodeSettings settings = new NodeSettings(null, 0, engine.baseUrl(), Map.of("jm", "m"), null, Duration.ofHours(24),
                Duration.ofSeconds(1), 0, 0, false);
        try (VeilNode node = VeilNode.start(settings)) {
            node.join(URI.create(origin()), token, node.baseUrl(), "rotates");
            await(() -> get("/v1/models", key), m -> m.toString().contains("\"jm\""));
            String before = node.currentNodeKeyId();
            assertThat(get("/v1/admin/nodes", ADMIN).toString()).contains(before);
            node.rotateNow();
            Thread.sleep(1_500); // the old key's grace is over: the node refuses it
            String after = node.currentNodeKeyId();
            assertThat(after).isNotEqualTo(before);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            HttpResponse<String> served = post("/v1/chat/completions", key, CHAT);
            while (served.statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                served = post("/v1/chat/completions", key, CHAT);
            }
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
            assertThat(get("/v1/admin/nodes", ADMIN).toString()).contains(after).doesNotContain(before);
        }
    }

    private Gateway startGateway(String attestationExtra) {
        return startGateway(attestationExtra, 1_000);
    }

    private Gateway startGateway(String attestationExtra, long reattestMs) {
        String yaml = """
                server: {port: 0}
                store: {data_dir: %s}
                attestation: {%sallowed_formats: [simulated], allow_simulated: true, reattest_interval_ms: %d}
                upstreams:
                  - {name: plain, base_url: "%s"}
                models:
                  - id: plain-model
                    routes:
                      - {name: plain, upstream: plain, model: m}
                """.formatted(dataDir, attestationExtra, reattestMs, engine.baseUrl());
        return Gateway.start(ConfigLoader.parse(yaml, Map.of()), Map.of("VEIL_ADMIN_TOKEN", ADMIN));
    }

    private String newKey() {
        IssuedKey issued = ApiKeyIssuer.issue("join-it", Instant.now());
        gateway.store().apiKeys().insert(issued.record());
        return issued.secret();
    }

    private String origin() {
        return "http://127.0.0.1:" + gateway.port();
    }

    private String issueToken(String models) throws Exception {
        HttpResponse<String> issued = post("/v1/admin/join-tokens", ADMIN, "{\"label\":\"test\",\"models\":" + models + "}");
        assertThat(issued.statusCode()).as(issued.body()).isEqualTo(201);
        JsonNode json = JSON.readTree(issued.body());
        assertThat(json.path("token").asText()).startsWith("veil_jt_");
        return json.path("token").asText();
    }

    private interface Call {
        JsonNode get() throws Exception;
    }

    private static JsonNode await(Call call, Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode last = call.get();
        while (!done.test(last) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            last = call.get();
        }
        return last;
    }

    private JsonNode get(String path, String bearer) throws Exception {
        HttpResponse<String> r = send("GET", path, bearer, null);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private HttpResponse<String> post(String path, String bearer, String body) throws Exception {
        return send("POST", path, bearer, body);
    }

    private HttpResponse<String> send(String method, String path, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).timeout(Duration.ofSeconds(15))
                .header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
