package dev.veil.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.transparency.LogKeyFile;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A real gateway (simulated evidence allowed, as {@code veil demo}) with nodes that joined it by attestation
 * ({@code veil node --join}), serving model {@code jm}: what the transparency tests of clients and monitors run
 * against.
 */
final class JoinedNodeGateway implements AutoCloseable {

    static final String MODEL = "jm";
    static final String ADMIN = "admin-secret-for-log-tests";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final FakeUpstream engine;
    private final Gateway gateway;
    private final String apiKey;
    private final Path dataDir;
    private final List<VeilNode> nodes = new ArrayList<>();

    private JoinedNodeGateway(FakeUpstream engine, Gateway gateway, String apiKey, Path dataDir) {
        this.engine = engine;
        this.gateway = gateway;
        this.apiKey = apiKey;
        this.dataDir = dataDir;
    }

    /** A gateway on {@code dataDir} with one joined node, serving once that node is admitted. */
    static JoinedNodeGateway start(Path dataDir) throws Exception {
        FakeUpstream engine = FakeUpstream.start();
        String yaml = """
                server: {port: 0}
                store: {data_dir: %s}
                attestation: {allowed_formats: [simulated], allow_simulated: true}
                upstreams:
                  - {name: plain, base_url: "%s"}
                models:
                  - id: plain-model
                    routes:
                      - {name: plain, upstream: plain, model: m}
                """.formatted(dataDir, engine.baseUrl());
        Gateway gateway = Gateway.start(ConfigLoader.parse(yaml, Map.of()), Map.of("VEIL_ADMIN_TOKEN", ADMIN));
        IssuedKey issued = ApiKeyIssuer.issue("log-it", Instant.now());
        gateway.store().apiKeys().insert(issued.record());
        JoinedNodeGateway fixture = new JoinedNodeGateway(engine, gateway, issued.secret(), dataDir);
        fixture.join("gpu-box-1");
        return fixture;
    }

    /** Joins one more node with a fresh join token and waits until its identity is in the log. */
    VeilNode join(String name) throws Exception {
        long before = treeSize();
        HttpResponse<String> token = send("POST", "/v1/admin/join-tokens", ADMIN,
                "{\"label\":\"" + name + "\",\"models\":[\"" + MODEL + "\"]}");
        if (token.statusCode() != 201) {
            throw new AssertionError("join token: " + token.body());
        }
        VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of(MODEL, "m")));
        nodes.add(node);
        node.join(URI.create(origin()), JSON.readTree(token.body()).path("token").asText(), node.baseUrl(), name);
        Eventually.await(Duration.ofSeconds(20), name + " is admitted and logged", () -> treeSize() > before
                && send("GET", "/v1/attestation?model=" + MODEL + "&nonce=" + "ab".repeat(32), apiKey, null)
                .body().contains(node.currentNodeKeyId()));
        return node;
    }

    String origin() {
        return "http://127.0.0.1:" + gateway.port();
    }

    String apiKey() {
        return apiKey;
    }

    /** The log's signing key, as the operator keeps it in the data directory. */
    SigningKey logSigningKey() throws Exception {
        return LogKeyFile.loadOrCreate(dataDir.resolve(LogKeyFile.NAME));
    }

    /** The pinned log key a client takes from a trusted source. */
    byte[] logKey() throws Exception {
        return logSigningKey().publicKey();
    }

    String logKeyBase64() throws Exception {
        return Base64.getEncoder().encodeToString(logKey());
    }

    long treeSize() throws Exception {
        HttpResponse<String> head = send("GET", "/v1/transparency/head", apiKey, null);
        return JSON.readTree(head.body()).path("tree_size").asLong();
    }

    JsonNode head() throws Exception {
        return JSON.readTree(send("GET", "/v1/transparency/head", apiKey, null).body());
    }

    HttpResponse<String> send(String method, String path, String bearer, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(origin() + path)).timeout(Duration.ofSeconds(15))
                .header("content-type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (bearer != null) {
            b.header("authorization", "Bearer " + bearer);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
        for (VeilNode node : nodes) {
            node.close();
        }
        gateway.close();
        engine.close();
    }
}
