package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.E2eeCall;
import dev.veil.client.E2eeResponse;
import dev.veil.client.GatewayException;
import dev.veil.client.VeilClient;
import dev.veil.client.VerifiedNode;
import dev.veil.client.proxy.E2eeProxy;
import dev.veil.client.proxy.ProxySettings;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The e2ee path strips and enforces like the plain path. One node (declaring itself {@code node-eu}: EU, never
 * trains, keeps nothing) behind a real gateway whose route for it declares the same, a recording engine behind the
 * node, and three ways in: plaintext to the gateway (tee: the gateway enforces), {@code veil proxy} and the Java SDK
 * (e2ee: the client checks before sending, the node checks after opening). The same request policy gets the same
 * verdict on every way in; a refusal through the proxy costs no request to the gateway; the engine never sees a
 * routing, identity or storage field; and the node, without the client's check, refuses sealed.
 */
@Timeout(120)
class SealedPolicyTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String MODEL = "sealed-model";
    private static final String IDENTITY = "identity.sealed@example.com";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dataDir;
    static FakeUpstream engine;
    static VeilNode node;
    static Gateway gateway;
    static String key;
    static TcpCapture toGateway;
    static E2eeProxy proxy;
    static VeilClient sdk;

    @BeforeAll
    static void start() throws Exception {
        engine = FakeUpstream.start();
        node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of(MODEL, "engine-model"))
                .withDeclaration(new NodeDeclaration("node-eu", false, 0, true, "EU", null)));
        gateway = Gateway.start(ConfigLoader.parse("""
                server: {host: 127.0.0.1, port: 0}
                store: {data_dir: %s}
                attestation: {allowed_formats: [simulated], allow_simulated: true}
                upstreams:
                  - {name: node-eu, base_url: "http://127.0.0.1:%d/v1", node: true}
                models:
                  - id: %s
                    routes:
                      - name: node-eu
                        upstream: node-eu
                        price: {input_per_million: 1.0, output_per_million: 2.0}
                        policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true, jurisdiction: EU}
                """.formatted(dataDir, node.port(), MODEL), Map.of()), Map.of());
        IssuedKey issued = ApiKeyIssuer.issue("sealed", Instant.now());
        gateway.store().apiKeys().insert(issued.record());
        key = issued.secret();
        AttestationPolicy allowSimulated = new AttestationPolicy(Set.of(), Set.of(), true);
        toGateway = new TcpCapture("127.0.0.1", gateway.port());
        proxy = E2eeProxy.start(new ProxySettings("http://127.0.0.1:" + toGateway.port(), key, "127.0.0.1", 0,
                allowSimulated));
        sdk = VeilClient.builder().baseUrl("http://127.0.0.1:" + gateway.port()).apiKey(key).policy(allowSimulated)
                .build();
    }

    @AfterAll
    static void stop() throws Exception {
        sdk.close();
        proxy.close();
        toGateway.close();
        gateway.close();
        node.close();
        engine.close();
    }

    @BeforeEach
    void reset() {
        engine.reset();
    }

    /** Request policies and the constraint that refuses them ({@code null}: served), in all three dialects. */
    private static final List<String[]> POLICIES = List.of(
            new String[] {"", null},
            new String[] {"\"privacy\":{\"jurisdictions\":[\"EU\"]}", null},
            new String[] {"\"privacy\":{\"jurisdictions\":[\"US\"]}", "privacy.jurisdictions"},
            new String[] {"\"privacy\":{\"min_mode\":\"tee\",\"zdr\":true,\"no_training\":true,\"require_tee\":true}", null},
            new String[] {"\"privacy\":{\"max_retention_days\":0}", null},
            new String[] {"\"privacy\":{\"routes_allow\":[\"node-eu\"]}", null},
            new String[] {"\"privacy\":{\"routes_deny\":[\"node-eu\"]}", "privacy.routes_deny"},
            new String[] {"\"provider\":{\"zdr\":true,\"data_collection\":\"deny\"}", null},
            new String[] {"\"provider\":{\"only\":[\"elsewhere\"]}", "provider.only"},
            new String[] {"\"provider\":{\"ignore\":[\"node-eu\"]}", "provider.ignore"},
            new String[] {"\"provider\":{\"require_parameters\":true},\"temperature\":0.5", "provider.require_parameters"},
            new String[] {"\"data_policy\":{\"training_allowed\":false,\"retention_days\":0}", null},
            new String[] {"\"providers\":{\"require\":[\"zero-retention\",\"no-training\"]}", null},
            new String[] {"\"providers\":{\"exclude\":[\"node-eu\"]}", "providers.exclude"});

    @Test
    void theSamePolicyGetsTheSameVerdictInPlaintextThroughTheProxyAndTheSdk() throws Exception {
        for (String[] policy : POLICIES) {
            String body = chat(policy[0]);
            Verdict plaintext = verdict(post("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions", key, body));
            int postsBefore = posts();
            Verdict proxied = verdict(post("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions", null, body));
            Verdict viaSdk = sdkVerdict(body);
            assertThat(plaintext).as("plaintext, policy %s", policy[0]).isEqualTo(new Verdict(policy[1]));
            assertThat(proxied).as("proxy, policy %s", policy[0]).isEqualTo(plaintext);
            assertThat(viaSdk).as("sdk, policy %s", policy[0]).isEqualTo(plaintext);
            if (policy[1] != null) {
                // The proxy refused before sending: the gateway got no request from it (an attestation at most).
                assertThat(posts()).as("posts to the gateway, policy %s", policy[0]).isEqualTo(postsBefore);
            }
        }
    }

    @Test
    void theFindingsJurisdictionsPolicyIsRefusedThroughTheProxyAsInPlaintext() throws Exception {
        // The finding: "privacy":{"jurisdictions":["EU"]} got 200 through the proxy and 403 in plaintext, against a
        // node whose route declared no jurisdiction. A node that declares none is now refused through the proxy too.
        try (FakeUpstream otherEngine = FakeUpstream.start();
             VeilNode undeclared = VeilNode.start(NodeSettings.of(otherEngine.baseUrl(), Map.of(MODEL, "m")))) {
            VerifiedNode attested = attestDirectly(undeclared);
            assertThat(attested.declaration().jurisdiction()).isNull();
            GatewayException refused = catchThrowableOfType(GatewayException.class, () -> E2eeCall.seal(attested,
                    "/v1/chat/completions", false, bytes(chat("\"privacy\":{\"jurisdictions\":[\"EU\"]}"))));
            assertThat(refused.status()).isEqualTo(403);
            assertThat(refused.code()).isEqualTo("no_compliant_route");
            assertThat(otherEngine.requests()).isEmpty();
        }
    }

    @Test
    void theNodeItselfRefusesSealedWhenNoClientCheckedFirst() throws Exception {
        VerifiedNode attested = sdk.attest(MODEL);
        // The same node without its declaration: the client cannot check, so only the node decides.
        VerifiedNode unchecked = new VerifiedNode(attested.model(), attested.format(), attested.nodeKeyId(),
                attested.keyConfig(), attested.signingKey(), attested.measurement(), attested.attestedAt(), null);
        for (String[] policy : POLICIES) {
            if (policy[1] == null) {
                continue;
            }
            E2eeCall call = E2eeCall.seal(unchecked, "/v1/chat/completions", false, bytes(chat(policy[0])));
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                    + "/v1/chat/completions")).header("authorization", "Bearer " + key)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(call.body())).timeout(Duration.ofSeconds(20));
            call.headers().forEach(request::header);
            HttpResponse<byte[]> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            // The gateway relays a sealed answer: it cannot tell a refusal from a completion.
            assertThat(response.statusCode()).isEqualTo(200);
            int status = 0;
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (ResponseOpener.Part part : call.accept(response.body())) {
                if (part instanceof ResponseOpener.Head head) {
                    status = head.status();
                } else if (part instanceof ResponseOpener.Chunk chunk) {
                    body.writeBytes(chunk.data());
                }
            }
            call.end();
            assertThat(status).as(policy[0]).isEqualTo(403);
            JsonNode error = JSON.readTree(body.toByteArray()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("privacy_policy_violation");
            assertThat(error.path("excluded").get(0).path("constraint").asText()).isEqualTo(policy[1]);
            assertThat(new String(response.body(), StandardCharsets.ISO_8859_1)).doesNotContain("privacy_policy_violation");
        }
        assertThat(engine.requests()).isEmpty();
    }

    @Test
    void theEngineNeverSeesRoutingIdentityOrStorageFields() throws Exception {
        String body = "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"user\":\"" + IDENTITY + "\",\"safety_identifier\":\"" + IDENTITY + "\",\"metadata\":{\"e\":\""
                + IDENTITY + "\"},\"prompt_cache_key\":\"" + IDENTITY + "\",\"store\":true,"
                + "\"privacy\":{\"zdr\":true},\"provider\":{\"zdr\":true},\"data_policy\":{\"training_allowed\":false},"
                + "\"providers\":{\"require\":[\"no-training\"]}}";
        HttpResponse<String> proxied = post("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions", null, body);
        assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
        E2eeResponse viaSdk = sdk.send("/v1/chat/completions", MODEL, bytes(body));
        assertThat(viaSdk.status()).isEqualTo(200);
        HttpResponse<String> tee = post("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions", key, body);
        assertThat(tee.statusCode()).as(tee.body()).isEqualTo(200);

        assertThat(engine.requests()).hasSize(3);
        for (FakeUpstream.Recorded seen : engine.requests()) {
            List<String> names = new java.util.ArrayList<>();
            seen.json().fieldNames().forEachRemaining(names::add);
            assertThat(names).as(seen.body()).containsExactlyInAnyOrder("model", "messages", "store");
            assertThat(seen.json().get("store").booleanValue()).isFalse();
            assertThat(seen.body()).doesNotContain(IDENTITY);
        }
    }

    @Test
    void everyChatFieldSentTheEngineReceivesExactlyTheForwardedOnesOnTheTeeAndE2eePaths() throws Exception {
        // The same schema and expectations as RequestFieldListTest's plain path; routing fields satisfiable here.
        Map<String, String> schema = new java.util.LinkedHashMap<>(RequestFieldListTest.CHAT_SCHEMA);
        schema.put("model", "\"" + MODEL + "\"");
        Map<String, String> sent = new java.util.LinkedHashMap<>(schema);
        sent.put("privacy", "{\"zdr\":true,\"jurisdictions\":[\"EU\"]}");
        sent.put("provider", "{\"data_collection\":\"deny\"}");
        sent.put("data_policy", "{\"training_allowed\":false}");
        sent.put("providers", "{\"require\":[\"zero-retention\"]}");
        String body = RequestFieldListTest.object(sent);

        HttpResponse<String> tee = post("http://127.0.0.1:" + gateway.port() + "/v1/chat/completions", key, body);
        assertThat(tee.statusCode()).as(tee.body()).isEqualTo(200);
        RequestFieldListTest.assertForwarded(engine.lastRequest(), schema, "engine-model");

        HttpResponse<String> proxied = post("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions", null, body);
        assertThat(proxied.statusCode()).as(proxied.body()).isEqualTo(200);
        RequestFieldListTest.assertForwarded(engine.lastRequest(), schema, "engine-model");

        assertThat(sdk.send("/v1/chat/completions", MODEL, bytes(body)).status()).isEqualTo(200);
        RequestFieldListTest.assertForwarded(engine.lastRequest(), schema, "engine-model");
        assertThat(engine.requests()).hasSize(3);
    }

    @Test
    void aNodeRouteMayClaimNoMoreThanItsNodeDeclares(@TempDir Path otherData) throws Exception {
        // The route says CH; the node, signed, says EU: the route's claim is unsupported, so it serves nothing.
        Gateway claiming = Gateway.start(ConfigLoader.parse("""
                server: {host: 127.0.0.1, port: 0}
                store: {data_dir: %s}
                attestation: {allowed_formats: [simulated], allow_simulated: true}
                upstreams:
                  - {name: node-eu, base_url: "http://127.0.0.1:%d/v1", node: true}
                models:
                  - id: %s
                    routes:
                      - name: node-eu
                        upstream: node-eu
                        policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true, jurisdiction: CH}
                """.formatted(otherData, node.port(), MODEL), Map.of()), Map.of());
        try {
            IssuedKey issued = ApiKeyIssuer.issue("claiming", Instant.now());
            claiming.store().apiKeys().insert(issued.record());
            HttpResponse<String> refused = post("http://127.0.0.1:" + claiming.port() + "/v1/chat/completions",
                    issued.secret(), chat(""));
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
            JsonNode excluded = JSON.readTree(refused.body()).path("error").path("excluded").get(0);
            assertThat(excluded.path("constraint").asText()).isEqualTo("node_declaration");
            assertThat(excluded.path("reason").asText()).contains("jurisdiction CH", "declares EU");
            assertThat(engine.requests()).isEmpty();
        } finally {
            claiming.close();
        }
    }

    /** A policy verdict: the constraint that refused ({@code null}: served). */
    record Verdict(String constraint) {
    }

    private static Verdict verdict(HttpResponse<String> response) throws Exception {
        if (response.statusCode() == 200) {
            return new Verdict(null);
        }
        assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
        return refusal(bytes(response.body()));
    }

    private static Verdict sdkVerdict(String body) throws Exception {
        try {
            E2eeResponse response = sdk.send("/v1/chat/completions", MODEL, bytes(body));
            return response.status() == 200 ? new Verdict(null) : refusal(response.body());
        } catch (GatewayException e) {
            assertThat(e.status()).isEqualTo(403);
            return refusal(e.body());
        }
    }

    private static Verdict refusal(byte[] body) throws Exception {
        JsonNode error = JSON.readTree(body).path("error");
        assertThat(error.path("type").asText()).isEqualTo("privacy_policy_violation");
        assertThat(error.path("code").asText()).isEqualTo("no_compliant_route");
        return new Verdict(error.path("excluded").get(0).path("constraint").asText());
    }

    /** Attests a node directly (not through the gateway, which does not know it). */
    private static VerifiedNode attestDirectly(VeilNode target) throws Exception {
        byte[] nonce = new byte[32];
        new java.security.SecureRandom().nextBytes(nonce);
        HttpResponse<byte[]> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + target.port()
                + "/v1/attestation?nonce=" + dev.veil.protocol.e2ee.E2ee.hex(nonce))).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        var verified = new dev.veil.protocol.attestation.AttestationVerifier().verify(
                dev.veil.protocol.attestation.Evidence.parse(answer.body()), nonce,
                new AttestationPolicy(Set.of(), Set.of(), true));
        return new VerifiedNode(MODEL, verified.format(), verified.nodeKeyId(), verified.keyConfig(),
                verified.signingKey(), verified.measurement(), Instant.now(), verified.declaration());
    }

    private static int posts() {
        String captured = new String(toGateway.captured(), StandardCharsets.ISO_8859_1);
        return captured.split("POST /", -1).length - 1;
    }

    private static String chat(String policy) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]"
                + (policy.isEmpty() ? "" : "," + policy) + "}";
    }

    private static HttpResponse<String> post(String url, String apiKey, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(20));
        if (apiKey != null) {
            request.header("authorization", "Bearer " + apiKey);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
