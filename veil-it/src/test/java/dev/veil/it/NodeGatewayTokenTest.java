package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started with a gateway token serves only the gateway that holds it (the issue-14 finding: a request sent
 * straight to a node with no credential was answered). Callers without it get 401 and cause no work: no evidence, no
 * engine call. A gateway without the token cannot admit the node.
 */
@Timeout(60)
class NodeGatewayTokenTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String TOKEN = "node-token-" + "7f".repeat(16);
    private static final String CHAT = "{\"model\":\"nm\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dataDir;

    private static String yaml(int nodePort, Path dataDir) {
        return """
                server: {port: 0}
                store: {data_dir: %s}
                attestation: {allowed_formats: [simulated], allow_simulated: true}
                upstreams:
                  - {name: n1, base_url: "http://127.0.0.1:%d/v1", node: true, api_key_env: NODE_TOKEN}
                models:
                  - id: nm
                    routes:
                      - {name: n1, upstream: n1, policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}}
                """.formatted(dataDir, nodePort);
    }

    @Test
    void onlyTheGatewayWithTheTokenIsServed() throws Exception {
        try (FakeUpstream engine = FakeUpstream.start();
             VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")).withGatewayToken(TOKEN))) {
            String origin = "http://127.0.0.1:" + node.port();
            // Straight to the node: nothing without the token, or with a wrong one.
            for (String authorization : new String[] {null, "Bearer wrong", "Bearer " + TOKEN + "x", "Basic " + TOKEN}) {
                assertThat(send(origin + "/v1/chat/completions", authorization, CHAT).statusCode()).isEqualTo(401);
                assertThat(send(origin + "/v1/attestation?nonce=" + "ab".repeat(32), authorization, null).statusCode())
                        .isEqualTo(401);
            }
            assertThat(send(origin + "/health", null, null).statusCode()).isEqualTo(200);
            assertThat(send(origin + "/v1/attestation?nonce=" + "ab".repeat(32), "Bearer " + TOKEN, null).statusCode())
                    .isEqualTo(200);
            assertThat(engine.requests()).isEmpty();

            // The gateway with the token admits the node and is served.
            Gateway gateway = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir), Map.of("NODE_TOKEN", TOKEN)),
                    Map.of("NODE_TOKEN", TOKEN));
            try {
                HttpResponse<String> served = send(gateway.baseUrl() + "/chat/completions", "Bearer " + key(gateway), CHAT);
                assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
                assertThat(engine.requests()).hasSize(1);
            } finally {
                gateway.close();
            }

            // A gateway without it cannot even admit the node.
            Gateway stranger = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir.resolve("other")), Map.of()),
                    Map.of());
            try {
                HttpResponse<String> refused = send(stranger.baseUrl() + "/chat/completions", "Bearer " + key(stranger), CHAT);
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.body()).contains("node_not_attested");
                assertThat(engine.requests()).hasSize(1);
            } finally {
                stranger.close();
            }
        }
    }

    private static String key(Gateway gateway) {
        IssuedKey key = ApiKeyIssuer.issue("token-it", Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return key.secret();
    }

    private static HttpResponse<String> send(String url, String authorization, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (authorization != null) {
            request.header("authorization", authorization);
        }
        if (body != null) {
            request.header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.GET();
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
