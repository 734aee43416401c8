package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node started with a gateway token serves only the gateway that holds it (the issue-14 finding: a request sent
 * straight to a node with no credential was answered). The token is never sent: each request is signed with it, over
 * its method, URI and body, once. Callers without a valid signature get 401 and cause no work: no evidence, no engine
 * call; a captured signed request cannot be replayed or given another body. A gateway without the token cannot admit
 * the node.
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
            String attestation = "/v1/attestation?nonce=" + "ab".repeat(32);
            // Straight to the node: nothing without a signature, and the token itself as a bearer is no signature.
            for (String authorization : new String[] {null, "Bearer wrong", "Bearer " + TOKEN, "Basic " + TOKEN}) {
                assertThat(send(origin + "/v1/chat/completions", authorization, CHAT).statusCode()).isEqualTo(401);
                assertThat(send(origin + attestation, authorization, null).statusCode()).isEqualTo(401);
            }
            assertThat(send(origin + "/health", null, null).statusCode()).isEqualTo(200);

            // A request signed with the token is served, once: the same signed request again is a replay.
            String signature = sign(TOKEN, "GET", attestation, null, System.currentTimeMillis());
            HttpResponse<String> evidence = signed(origin + attestation, signature, null, Map.of());
            assertThat(evidence.statusCode()).as(evidence.body()).isEqualTo(200);
            HttpResponse<String> replayed = signed(origin + attestation, signature, null, Map.of());
            assertThat(replayed.statusCode()).isEqualTo(401);
            assertThat(replayed.body()).contains("invalid_gateway_signature").contains("replay");

            // Signed for another URI, by another secret, too long ago, or malformed: refused, each saying why.
            long now = System.currentTimeMillis();
            Map<String, String> refusals = Map.of(
                    sign(TOKEN, "GET", "/v1/attestation?nonce=" + "cd".repeat(32), null, now), "does not match",
                    sign(TOKEN + "x", "GET", attestation, null, now), "not one of this node's gateways",
                    sign(TOKEN, "GET", attestation, null, now - 3 * GatewaySignature.MAX_SKEW_MS), "clock",
                    sign(TOKEN, "GET", attestation, null, now).replace("; sig=", "; sig=A"), "malformed");
            refusals.forEach((header, why) -> {
                HttpResponse<String> refused = signed(origin + attestation, header, null, Map.of());
                assertThat(refused.statusCode()).as(why).isEqualTo(401);
                assertThat(refused.body()).as(why).contains(why);
            });

            // A head that is fresh when it arrives but whose body comes after the signature went stale is refused: a
            // captured request cannot wait out the nonce memory by holding its body back.
            byte[] late = "{}".getBytes(StandardCharsets.UTF_8);
            HttpResponse<String> stale = HTTP.send(HttpRequest.newBuilder(URI.create(origin + "/v1/chat/completions"))
                    .header(GatewaySignature.HEADER, sign(TOKEN, "POST", "/v1/chat/completions", late,
                            System.currentTimeMillis() - GatewaySignature.MAX_SKEW_MS + 1_000))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(late) {
                        private boolean waited;

                        @Override
                        public synchronized int read(byte[] b, int off, int len) {
                            if (!waited) {
                                waited = true;
                                try {
                                    Thread.sleep(2_000);
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            }
                            return super.read(b, off, len);
                        }
                    })).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(stale.statusCode()).isEqualTo(401);
            assertThat(stale.body()).contains("more than 60 s");
            assertThat(engine.requests()).isEmpty();

            // An inference request whose body is not the one signed does no work; the one signed is served.
            AttestationVerifier.VerifiedNode verified = new AttestationVerifier().verify(Evidence.parse(
                    evidence.body().getBytes(StandardCharsets.UTF_8)), E2ee.unhex("ab".repeat(32)),
                    new AttestationPolicy(Set.of(), Set.of(), true));
            SealedRequest sealed = SealedRequest.seal(verified.keyConfig(),
                    new RequestMeta("/v1/chat/completions", "nm", false), CHAT.getBytes(StandardCharsets.UTF_8));
            Map<String, String> e2ee = Map.of(E2ee.HEADER_VERSION, E2ee.VERSION, E2ee.HEADER_MODEL, "nm",
                    E2ee.HEADER_NODE_KEY, verified.nodeKeyId(), E2ee.HEADER_STREAM, "false",
                    "content-type", E2ee.CONTENT_TYPE);
            byte[] other = sealed.body().clone();
            other[other.length - 1] ^= 1;
            HttpResponse<String> swapped = signed(origin + "/v1/chat/completions",
                    sign(TOKEN, "POST", "/v1/chat/completions", other, System.currentTimeMillis()), sealed.body(), e2ee);
            assertThat(swapped.statusCode()).isEqualTo(401);
            assertThat(swapped.body()).contains("does not match");
            assertThat(engine.requests()).isEmpty();
            HttpResponse<String> direct = signed(origin + "/v1/chat/completions",
                    sign(TOKEN, "POST", "/v1/chat/completions", sealed.body(), System.currentTimeMillis()), sealed.body(),
                    e2ee);
            assertThat(direct.statusCode()).isEqualTo(200);
            assertThat(engine.requests()).hasSize(1);

            // The gateway with the token admits the node and is served.
            Gateway gateway = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir), Map.of("NODE_TOKEN", TOKEN)),
                    Map.of("NODE_TOKEN", TOKEN));
            try {
                HttpResponse<String> served = send(gateway.baseUrl() + "/chat/completions", "Bearer " + key(gateway), CHAT);
                assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
                assertThat(engine.requests()).hasSize(2);
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
                assertThat(engine.requests()).hasSize(2);
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

    private static String sign(String secret, String method, String uri, byte[] body, long time) {
        return GatewaySignature.sign(secret.getBytes(StandardCharsets.UTF_8), method, uri, body, time);
    }

    private static HttpResponse<String> signed(String url, String signature, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header(GatewaySignature.HEADER, signature);
        headers.forEach(request::header);
        request.method(body == null ? "GET" : "POST", body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
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
