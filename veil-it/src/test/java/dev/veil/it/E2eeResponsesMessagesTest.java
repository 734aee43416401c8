package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStreamEvent;
import dev.veil.client.E2eeCall;
import dev.veil.client.VeilClient;
import dev.veil.client.proxy.E2eeProxy;
import dev.veil.client.proxy.ProxySettings;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * e2ee for the Responses API and Anthropic's Messages API, over real HTTP: the official openai-java (Responses) and
 * anthropic-java (Messages) clients → veil proxy → gateway (its own process, log level TRACE) → TCP capture → node
 * (simulated TEE) → fake engine, whole and streamed. One node's engine speaks chat completions only, so the node
 * translates both APIs inside itself; the other's engine speaks the Messages API, which the node calls natively. A
 * canary in every prompt reaches the engines and comes back, yet is never in the gateway's logs, data directory, temp
 * files, metrics or on the wire between gateway and node. A sealed Messages request replayed to the chat endpoint does
 * not open. Billing comes from the nodes' signed receipts.
 */
class E2eeResponsesMessagesTest {

    private static final String TRANSLATED = "e2e-translated";
    private static final String NATIVE = "e2e-native";
    private static final String RESPONSES_NATIVE = "e2e-responses-native";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    @Timeout(180)
    void responsesAndMessagesTravelSealedThroughTheProxyAndTheNode() throws Exception {
        String canary = "CANARY" + UUID.randomUUID().toString().replace("-", "");
        String identity = "IDENTITY" + UUID.randomUUID().toString().replace("-", "");
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path tmpDir = Files.createDirectories(work.resolve("tmp"));
        Path log = work.resolve("gateway.log");
        int port = GatewayProcess.freePort();
        try (FakeUpstream chatEngine = FakeUpstream.start();
             FakeAnthropicUpstream messagesEngine = FakeAnthropicUpstream.start(null);
             VeilNode translating = VeilNode.start(NodeSettings.of(chatEngine.baseUrl(), Map.of(TRANSLATED, "engine-model")));
             VeilNode nativeNode = VeilNode.start(NodeSettings.of(messagesEngine.baseUrl(), Map.of(NATIVE, "claude-engine"))
                     .withEngineApis(Set.of("chat", "messages")));
             VeilNode responsesNode = VeilNode.start(NodeSettings.of(chatEngine.baseUrl(),
                     Map.of(RESPONSES_NATIVE, "responses-engine")).withEngineApis(Set.of("chat", "responses")));
             TcpCapture wireA = new TcpCapture("127.0.0.1", translating.port());
             TcpCapture wireB = new TcpCapture("127.0.0.1", nativeNode.port());
             TcpCapture wireC = new TcpCapture("127.0.0.1", responsesNode.port())) {
            String yaml = """
                    server: {port: %d}
                    store: {data_dir: %s}
                    attestation: {allowed_formats: [simulated], allow_simulated: true}
                    upstreams:
                      - {name: node-a, base_url: "http://127.0.0.1:%d/v1", node: true}
                      - {name: node-b, base_url: "http://127.0.0.1:%d/v1", node: true}
                      - {name: node-c, base_url: "http://127.0.0.1:%d/v1", node: true}
                    models:
                      - id: %s
                        routes:
                          - {name: node-a, upstream: node-a, policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}}
                      - id: %s
                        routes:
                          - {name: node-b, upstream: node-b, policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}}
                      - id: %s
                        routes:
                          - {name: node-c, upstream: node-c, policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}}
                    """.formatted(port, dataDir, wireA.port(), wireB.port(), wireC.port(), TRANSLATED, NATIVE,
                    RESPONSES_NATIVE);
            Path config = Files.writeString(work.resolve("veil.yaml"), yaml);
            Map<String, String> env = Map.of("VEIL_LOG_LEVEL", "TRACE", "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN);
            String metrics;
            try (GatewayProcess gateway = GatewayProcess.start(List.of("-Djava.io.tmpdir=" + tmpDir),
                    List.of("serve", "--config", config.toString()), env, log)) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                String origin = "http://127.0.0.1:" + port;
                String key = E2eeEndToEndTest.createKey(origin);
                AttestationPolicy allowSimulated = new AttestationPolicy(Set.of(), Set.of(), true);
                try (E2eeProxy proxy = E2eeProxy.start(new ProxySettings(origin, key, "127.0.0.1", 0, allowSimulated))) {
                    String local = "http://127.0.0.1:" + proxy.port();
                    OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(local + "/v1").apiKey("unused")
                            .maxRetries(0).timeout(Duration.ofSeconds(30)).build();
                    AnthropicClient anthropic = AnthropicOkHttpClient.builder().baseUrl(local).apiKey("unused")
                            .maxRetries(0).timeout(Duration.ofSeconds(30)).build();
                    try {
                        // Responses API, translated to chat completions inside the node.
                        Response whole = openai.responses().create(ResponseCreateParams.builder().model(TRANSLATED)
                                .input("responses whole " + canary).user(identity).build());
                        assertThat(whole.output().get(0).message().orElseThrow().content().get(0).outputText()
                                .orElseThrow().text()).isEqualTo("echo: responses whole " + canary);
                        assertThat(whole.usage().orElseThrow().inputTokens()).isPositive();
                        StringBuilder streamed = new StringBuilder();
                        List<String> types;
                        try (com.openai.core.http.StreamResponse<ResponseStreamEvent> stream = openai.responses()
                                .createStreaming(ResponseCreateParams.builder().model(TRANSLATED)
                                        .input("responses stream " + canary).build())) {
                            types = stream.stream().peek(e -> e.outputTextDelta().ifPresent(d -> streamed.append(d.delta())))
                                    .map(e -> e.isCompleted() ? "completed" : "other").toList();
                        }
                        assertThat(streamed.toString()).isEqualTo("echo: responses stream " + canary);
                        assertThat(types).last().isEqualTo("completed");

                        // Responses API, native: the node calls its engine's /responses.
                        Response nativeWhole = openai.responses().create(ResponseCreateParams.builder()
                                .model(RESPONSES_NATIVE).input("responses native " + canary).build());
                        assertThat(nativeWhole.output().get(0).message().orElseThrow().content().get(0).outputText()
                                .orElseThrow().text()).isEqualTo("echo: responses native " + canary);
                        StringBuilder nativeStreamed = new StringBuilder();
                        try (com.openai.core.http.StreamResponse<ResponseStreamEvent> stream = openai.responses()
                                .createStreaming(ResponseCreateParams.builder().model(RESPONSES_NATIVE)
                                        .input("responses native stream " + canary).build())) {
                            stream.stream().forEach(e -> e.outputTextDelta().ifPresent(d -> nativeStreamed.append(d.delta())));
                        }
                        assertThat(nativeStreamed.toString()).isEqualTo("echo: responses native stream " + canary);

                        // Messages API: translated (chat engine) and native (Messages engine), whole and streamed.
                        for (String model : List.of(TRANSLATED, NATIVE)) {
                            Message message = anthropic.messages().create(MessageCreateParams.builder().model(model)
                                    .maxTokens(64).system("Be brief.").addUserMessage("messages whole " + model + " " + canary)
                                    .metadata(com.anthropic.models.messages.Metadata.builder().userId(identity).build())
                                    .build());
                            assertThat(text(message)).as(model).isEqualTo("echo: messages whole " + model + " " + canary);
                            assertThat(message.model().asString()).isEqualTo(model);
                            assertThat(message.usage().inputTokens()).isPositive();
                            MessageAccumulator accumulator = MessageAccumulator.create();
                            try (StreamResponse<RawMessageStreamEvent> events = anthropic.messages().createStreaming(
                                    MessageCreateParams.builder().model(model).maxTokens(64)
                                            .addUserMessage("messages stream " + model + " " + canary).build())) {
                                events.stream().forEach(accumulator::accumulate);
                            }
                            assertThat(text(accumulator.message())).as(model)
                                    .isEqualTo("echo: messages stream " + model + " " + canary);
                        }

                        // Refusals about the sealed content come from the node, sealed, in each API's own shape: a
                        // Messages feature the chat translation cannot carry, a stateful Responses field.
                        com.anthropic.errors.BadRequestException untranslatable = org.assertj.core.api.Assertions
                                .catchThrowableOfType(com.anthropic.errors.BadRequestException.class, () -> anthropic
                                        .messages().create(MessageCreateParams.builder().model(TRANSLATED).maxTokens(64)
                                                .putAdditionalBodyProperty("top_k", com.anthropic.core.JsonValue.from(5)).addUserMessage("refused " + canary).build()));
                        assertThat(untranslatable.statusCode()).isEqualTo(400);
                        assertThat(untranslatable.getMessage()).contains("top_k");
                        com.openai.errors.BadRequestException stateful = org.assertj.core.api.Assertions
                                .catchThrowableOfType(com.openai.errors.BadRequestException.class, () -> openai.responses()
                                        .create(ResponseCreateParams.builder().model(TRANSLATED).input("refused " + canary)
                                                .previousResponseId("resp_1").build()));
                        assertThat(stateful.statusCode()).isEqualTo(400);
                        assertThat(stateful.getMessage()).contains("previous_response_id");
                    } finally {
                        openai.close();
                        anthropic.close();
                    }
                }

                // A Messages request sealed for /v1/messages, replayed by a gateway (here: sent by us) to the chat
                // endpoint, does not open at the node: the endpoint path is bound into the encryption.
                try (VeilClient veil = VeilClient.builder().baseUrl(origin).apiKey(key).policy(allowSimulated).build()) {
                    // The SDK itself speaks both endpoints too (the proxy is built on it).
                    dev.veil.client.E2eeResponse sdk = veil.send("/v1/messages", NATIVE, ("{\"model\":\"" + NATIVE
                            + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"sdk " + canary
                            + "\"}]}").getBytes(StandardCharsets.UTF_8));
                    assertThat(sdk.status()).isEqualTo(200);
                    assertThat(JSON.readTree(sdk.body()).path("content").path(0).path("text").asText())
                            .isEqualTo("echo: sdk " + canary);
                    assertThat(sdk.receipt().path()).isEqualTo("/v1/messages");
                    assertThat(sdk.receipt().promptTokens()).isPositive();
                    byte[] body = ("{\"model\":\"" + TRANSLATED + "\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"replayed " + canary + "\"}]}").getBytes(StandardCharsets.UTF_8);
                    E2eeCall sealed = E2eeCall.seal(veil.attest(TRANSLATED), "/v1/messages", false, body);
                    HttpRequest.Builder replay = HttpRequest.newBuilder(URI.create(origin + "/v1/chat/completions"))
                            .header("authorization", "Bearer " + key)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(sealed.body()));
                    sealed.headers().forEach(replay::header);
                    HttpResponse<String> refused = HttpClient.newHttpClient().send(replay.build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
                    assertThat(JSON.readTree(refused.body()).path("error").path("code").asText())
                            .isEqualTo("e2ee_decrypt_failed");
                }

                // Clear errors of the e2ee envelope on the new paths, with the canary where a client could put it.
                for (String path : List.of("/v1/messages", "/v1/responses")) {
                    HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + path))
                            .header("x-api-key", key).header("authorization", "Bearer " + key)
                            .header("anthropic-version", "2023-06-01").header("content-type", "application/veil-e2ee")
                            .header("Veil-E2EE", "v1").header("Veil-Model", canary).header("Veil-Node-Key", "0".repeat(32))
                            .header("Veil-Stream", "false")
                            .POST(HttpRequest.BodyPublishers.ofString("0123456" + "x".repeat(80))).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(bad.statusCode()).as(bad.body()).isEqualTo(404);
                    assertThat(bad.body()).doesNotContain(canary);
                }

                // Billing came from the nodes' signed receipts, on the endpoints' own labels.
                Thread.sleep(500);
                JsonNode usage = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage"))
                        .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString()).body());
                assertThat(usage.path("totals").path("requests").asLong()).isGreaterThanOrEqualTo(6);
                assertThat(usage.path("totals").path("prompt_tokens").asLong()).isPositive();
                assertThat(usage.path("totals").path("completion_tokens").asLong()).isPositive();

                metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(origin + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("endpoint=\"responses\"").contains("endpoint=\"messages\"");
                assertThat(gateway.stop()).isIn(0, 143);
            }

            // Positive controls: the engines, inside the "TEE", saw the plaintext, in their own API.
            assertThat(chatEngine.requests()).anySatisfy(r -> {
                assertThat(r.path()).endsWith("/chat/completions");
                assertThat(r.body()).contains("responses whole " + canary);
            });
            assertThat(chatEngine.requests()).anySatisfy(r -> assertThat(r.body()).contains("messages stream " + TRANSLATED));
            assertThat(chatEngine.requests()).noneSatisfy(r -> assertThat(r.path()).endsWith("/messages"));
            assertThat(chatEngine.requests()).anySatisfy(r -> {
                assertThat(r.path()).endsWith("/responses");
                assertThat(r.body()).contains("responses native stream " + canary);
            });
            assertThat(messagesEngine.requests()).anySatisfy(r -> {
                assertThat(r.path()).isEqualTo("/v1/messages");
                assertThat(r.body()).contains("messages whole " + NATIVE);
            });
            // ... never an identity field, on any path.
            for (FakeUpstream.Recorded seen : concat(chatEngine.requests(), messagesEngine.requests())) {
                assertThat(seen.body()).as("identity at the engine").doesNotContain(identity);
                assertThat(seen.json().has("metadata")).isFalse();
                assertThat(seen.json().has("user")).isFalse();
            }
            CanaryScanner scanner = new CanaryScanner(canary);
            for (TcpCapture wire : List.of(wireA, wireB, wireC)) {
                byte[] captured = wire.captured();
                assertThat(captured.length).as("traffic between gateway and node was captured").isGreaterThan(1000);
                assertThat(scanner.contains(captured)).as("plaintext on the wire between gateway and node").isFalse();
            }
            assertThat(scanner.contains(Files.readString(log))).as("canary in the gateway's logs").isFalse();
            assertThat(scanner.filesContaining(dataDir)).as("canary in the gateway's data directory").isEmpty();
            assertThat(scanner.filesContaining(tmpDir)).as("canary in the gateway's temp files").isEmpty();
            assertThat(scanner.contains(metrics)).isFalse();
        }
    }

    private static String text(Message message) {
        return message.content().stream().filter(ContentBlock::isText).map(b -> b.asText().text())
                .collect(Collectors.joining());
    }

    private static List<FakeUpstream.Recorded> concat(List<FakeUpstream.Recorded> a, List<FakeUpstream.Recorded> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
