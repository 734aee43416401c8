package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.InternalServerException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.veil.client.proxy.E2eeProxy;
import dev.veil.client.proxy.ProxySettings;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * openai-java → veil proxy → gateway (its own process, log level TRACE) → TCP capture → node → fake engine. A canary
 * in every prompt must reach the engine and come back to the client, yet never appear in the gateway's logs, its data
 * directory, its temp files, /metrics, or the bytes that crossed the network between gateway and node, in e2ee mode
 * (the proxy encrypts) and in tee mode (the gateway encrypts on the client's behalf); and the engine, which sees the
 * prompt, never sees an identity, routing or storage field.
 */
class E2eeEndToEndTest {

    private static final String MODEL = "e2e-model";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    @Timeout(180)
    void plaintextNeverReachesTheGatewayOrTheWireToTheNode() throws Exception {
        String canary = "CANARY" + UUID.randomUUID().toString().replace("-", "");
        String identity = "IDENTITY" + UUID.randomUUID().toString().replace("-", "");
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path tmpDir = Files.createDirectories(work.resolve("tmp"));
        Path log = work.resolve("gateway.log");
        int port = GatewayProcess.freePort();
        try (FakeUpstream engine = FakeUpstream.start();
             VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of(MODEL, "engine-model")));
             TcpCapture wire = new TcpCapture("127.0.0.1", node.port())) {
            String yaml = """
                    server: {port: %d}
                    store: {data_dir: %s}
                    attestation: {allowed_formats: [simulated], allow_simulated: true}
                    upstreams:
                      - {name: node-a, base_url: "http://127.0.0.1:%d/v1", node: true}
                    models:
                      - id: %s
                        routes:
                          - name: node-a
                            upstream: node-a
                            policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}
                    """.formatted(port, dataDir, wire.port(), MODEL);
            Path config = Files.writeString(work.resolve("veil.yaml"), yaml);
            Map<String, String> env = Map.of("VEIL_LOG_LEVEL", "TRACE", "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN);
            String metrics;
            try (GatewayProcess gateway = GatewayProcess.start(List.of("-Djava.io.tmpdir=" + tmpDir),
                    List.of("serve", "--config", config.toString()), env, log)) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                String origin = "http://127.0.0.1:" + port;
                String key = createKey(origin);

                AttestationPolicy allowSimulated = new AttestationPolicy(Set.of(), Set.of(), true);
                try (E2eeProxy proxy = E2eeProxy.start(new ProxySettings(origin, key, "127.0.0.1", 0, allowSimulated))) {
                    OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + proxy.port() + "/v1")
                            .apiKey("unused-by-the-proxy").maxRetries(0).timeout(Duration.ofSeconds(30)).build();
                    try {
                        // Identity and storage fields ride along: the node removes them before its engine.
                        ChatCompletion whole = client.chat().completions().create(ChatCompletionCreateParams.builder()
                                .model(MODEL).addUserMessage("whole " + canary)
                                .putAdditionalBodyProperty("user", JsonValue.from(identity))
                                .putAdditionalBodyProperty("safety_identifier", JsonValue.from(identity))
                                .putAdditionalBodyProperty("metadata", JsonValue.from(Map.of("email", identity)))
                                .putAdditionalBodyProperty("prompt_cache_key", JsonValue.from(identity))
                                .putAdditionalBodyProperty("store", JsonValue.from(true))
                                .putAdditionalBodyProperty("privacy", JsonValue.from(Map.of("zdr", true)))
                                .build());
                        assertThat(whole.choices().get(0).message().content()).hasValue("echo: whole " + canary);
                        // The node names the model the client asked for, not its engine's "engine-model".
                        assertThat(whole.model()).isEqualTo(MODEL);

                        StringBuilder streamed = new StringBuilder();
                        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(
                                ChatCompletionCreateParams.builder().model(MODEL).addUserMessage("stream " + canary).build())) {
                            stream.stream().forEach(chunk -> {
                                assertThat(chunk.model()).isEqualTo(MODEL);
                                chunk.choices().forEach(c -> c.delta().content().ifPresent(streamed::append));
                            });
                        }
                        assertThat(streamed.toString()).isEqualTo("echo: stream " + canary);

                        CreateEmbeddingResponse embeddings = client.embeddings().create(EmbeddingCreateParams.builder()
                                .model(MODEL).input("embed " + canary).build());
                        assertThat(embeddings.data()).hasSize(1);

                        // The proxy verified the gateway's signed receipt and hands it on, marked verified.
                        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + proxy.port() + "/v1/chat/completions"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL
                                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"raw " + canary + "\"}]}")).build(),
                                HttpResponse.BodyHandlers.ofString());
                        assertThat(raw.statusCode()).as(raw.body()).isEqualTo(200);
                        assertThat(raw.headers().firstValue("x-veil-receipt-verified")).hasValue("true");
                        JsonNode proxied = JSON.readTree(raw.headers().firstValue("x-veil-receipt").orElseThrow());
                        assertThat(proxied.path("mode").asText()).isEqualTo("e2ee");
                        assertThat(proxied.path("node").path("node_key_id").asText()).isNotEmpty();
                    } finally {
                        client.close();
                    }
                }

                // tee mode: the client sends plaintext to the gateway, which encrypts to the node itself.
                HttpResponse<String> tee = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + "/v1/chat/completions"))
                        .header("authorization", "Bearer " + key).header("content-type", "application/json")
                        .header(dev.veil.protocol.receipt.GatewayReceipt.SIGN_REQUEST_HEADER, "true")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL
                                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"tee " + canary + "\"}]}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(tee.statusCode()).as(tee.body()).isEqualTo(200);
                assertThat(tee.body()).contains("echo: tee " + canary).doesNotContain("engine-model");
                assertThat(tee.headers().firstValue("x-veil-privacy-mode")).contains("tee");
                // Its receipt is signed by the published receipt key, names the verified node, the counts of the
                // node's own receipt, and the body as sent.
                byte[] receiptKey = java.util.Base64.getDecoder().decode(JSON.readTree(HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create(origin + "/v1/transparency/receipt-key"))
                                .header("authorization", "Bearer " + key).GET().build(),
                        HttpResponse.BodyHandlers.ofString()).body()).path("public_key").asText());
                dev.veil.protocol.receipt.GatewayReceipt teeReceipt = dev.veil.protocol.receipt.GatewayReceipt.fromHeaders(
                        tee.headers().firstValue("x-veil-receipt").orElseThrow(),
                        tee.headers().firstValue("x-veil-receipt-signature").orElseThrow());
                dev.veil.protocol.receipt.GatewayReceipt.Claims teeClaims = teeReceipt.verify(receiptKey,
                        ("{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"tee " + canary
                                + "\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        tee.headers().firstValue("x-request-id").orElseThrow());
                assertThat(teeClaims.mode()).isEqualTo("tee");
                assertThat(teeClaims.nodeKeyId()).isNotEmpty();
                assertThat(teeClaims.hasTokens()).isTrue();

                // Without --allow-simulated the proxy refuses the simulated node, saying so.
                try (E2eeProxy strict = E2eeProxy.start(new ProxySettings(origin, key, "127.0.0.1", 0, AttestationPolicy.HARDWARE_ONLY))) {
                    OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + strict.port() + "/v1")
                            .apiKey("x").maxRetries(0).build();
                    try {
                        InternalServerException refused = catchThrowableOfType(InternalServerException.class,
                                () -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                                        .model(MODEL).addUserMessage("refused " + canary).build()));
                        assertThat(refused).isNotNull();
                        assertThat(refused.code()).hasValue("attestation_simulated_not_allowed");
                    } finally {
                        client.close();
                    }
                }
                // An allow-list that does not contain the node's measurement refuses it too.
                try (E2eeProxy pinned = E2eeProxy.start(new ProxySettings(origin, key, "127.0.0.1", 0,
                        new AttestationPolicy(Set.of(), Set.of("00".repeat(48)), true)))) {
                    HttpResponse<String> refused = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + pinned.port() + "/v1/chat/completions"))
                            .header("content-type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + MODEL
                                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(refused.statusCode()).isEqualTo(502);
                    assertThat(JSON.readTree(refused.body()).path("error").path("code").asText())
                            .isEqualTo("attestation_unknown_measurement");
                }

                // e2ee error paths around the canary: bad envelope headers, an unknown node key, a body that does not
                // open at the node, and an attestation request naming the canary as model.
                HttpClient http = HttpClient.newHttpClient();
                for (String[] headers : new String[][] {
                        {"Veil-E2EE", "v1", "Veil-Model", canary, "Veil-Node-Key", "0".repeat(32), "Veil-Stream", "false"},
                        {"Veil-E2EE", canary, "Veil-Model", MODEL, "Veil-Node-Key", "0".repeat(32), "Veil-Stream", "false"},
                        {"Veil-E2EE", "v1", "Veil-Model", MODEL, "Veil-Node-Key", "0".repeat(32), "Veil-Stream", "false"},
                        {"Veil-E2EE", "v1", "Veil-Model", MODEL, "Veil-Node-Key", node.currentNodeKeyId(), "Veil-Stream", "false"}}) {
                    HttpRequest.Builder bad = HttpRequest.newBuilder(URI.create(origin + "/v1/chat/completions"))
                            .header("authorization", "Bearer " + key).header("content-type", "application/veil-e2ee")
                            // Not the canary: an e2ee body is ciphertext the gateway forwards, so a client's own
                            // plaintext in it would of course cross the wire.
                            .POST(HttpRequest.BodyPublishers.ofString("0123456" + "x".repeat(80)));
                    for (int i = 0; i < headers.length; i += 2) {
                        bad.header(headers[i], headers[i + 1]);
                    }
                    HttpResponse<String> refused = http.send(bad.build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(refused.statusCode()).as(refused.body()).isBetween(400, 499);
                    assertThat(refused.body()).contains("\"error\"");
                }
                assertThat(http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/attestation?model=" + canary + "&nonce=" + canary))
                        .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);

                // Billing came from the node's signed receipts.
                Thread.sleep(500);
                JsonNode usage = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage"))
                        .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
                assertThat(usage.path("totals").path("requests").asLong()).isGreaterThanOrEqualTo(4);
                assertThat(usage.path("totals").path("prompt_tokens").asLong()).isPositive();

                metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(gateway.stop()).isIn(0, 143);
            }

            // Positive control: the engine, inside the "TEE", did see the plaintext.
            assertThat(engine.requests()).anySatisfy(r -> assertThat(r.body()).contains("whole " + canary));
            // ... but never an identity, routing or storage field, on either path.
            for (FakeUpstream.Recorded seen : engine.requests()) {
                assertThat(seen.body()).as("identity at the engine").doesNotContain(identity);
                for (String field : List.of("user", "safety_identifier", "metadata", "prompt_cache_key", "privacy",
                        "provider", "models", "data_policy", "providers")) {
                    assertThat(seen.json().has(field)).as(field + " at the engine").isFalse();
                }
                assertThat(seen.json().path("store").asBoolean(false)).as("store at the engine").isFalse();
            }
            assertThat(engine.requests()).anySatisfy(r -> assertThat(r.body()).contains("tee " + canary));
            CanaryScanner scanner = new CanaryScanner(canary);
            byte[] captured = wire.captured();
            assertThat(captured.length).as("traffic between gateway and node was captured").isGreaterThan(1000);
            assertThat(new String(captured, java.nio.charset.StandardCharsets.ISO_8859_1)).contains("application/veil-e2ee");
            assertThat(scanner.contains(captured)).as("plaintext on the wire between gateway and node").isFalse();
            assertThat(scanner.contains(Files.readString(log))).as("canary in the gateway's logs").isFalse();
            assertThat(scanner.filesContaining(dataDir)).as("canary in the gateway's data directory").isEmpty();
            assertThat(scanner.filesContaining(tmpDir)).as("canary in the gateway's temp files").isEmpty();
            assertThat(scanner.contains(metrics)).isFalse();
        }
    }

    /** A fresh API key from the admin API of the gateway at {@code origin}. */
    static String createKey(String origin) throws Exception {
        HttpResponse<String> created = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"e2ee\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        return JSON.readTree(created.body()).path("key").asText();
    }
}
