package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.attestation.SimulatedEvidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.tokens.Tokenizer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The node over real HTTP, against a fake engine, with a client built from the protocol classes only. */
class VeilNodeTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "/v1/chat/completions";
    private static final String CANARY = "canary-7f3a-do-not-log";
    private static final String WHOLE_REQUEST = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + CANARY + "\"}]}";
    private static final String STREAM_REQUEST = "{\"model\":\"chat\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"" + CANARY + "\"}]}";
    private static final Map<String, String> MODELS = Map.of("chat", "engine-chat", "chat-b", "engine-chat",
            "slow", "engine-slow", "die", "engine-die", "reject", "engine-reject", "embed", "engine-embed", "flood", "engine-flood",
            "nousage", FakeEngine.NO_USAGE_MODEL);

    private static FakeEngine engine;
    private static VeilNode node;
    private static E2eeTestClient client;

    @BeforeAll
    static void start() throws Exception {
        engine = FakeEngine.start();
        node = VeilNode.start(NodeSettings.of(engine.baseUrl(), MODELS));
        client = new E2eeTestClient(node.baseUrl());
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        engine.close();
    }

    @Test
    void attestationEvidenceVerifiesAndBindsTheCurrentKey() throws Exception {
        VerifiedNode verified = client.attest();

        assertThat(verified.nodeKeyId()).isEqualTo(node.currentNodeKeyId());
        assertThat(verified.simulated()).isTrue();
        assertThat(verified.format()).isEqualTo("simulated").isEqualTo(node.attestationFormat());
        assertThat(verified.measurement()).isEqualTo(E2ee.hex(SimulatedEvidence.measure("veil-node/0.1.0")));
        assertThat(node.baseUrl()).isEqualTo("http://127.0.0.1:" + node.port());
    }

    @Test
    void attestationRefusesAMissingOrMalformedNonce() throws Exception {
        for (String query : List.of("", "?nonce=abc", "?nonce=" + "zz".repeat(32), "?nonce=" + "00".repeat(33))) {
            E2eeTestClient.Answer answer = client.get("/v1/attestation" + query);

            assertThat(answer.status()).as(query).isEqualTo(400);
            JsonNode error = JSON.readTree(answer.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
            assertThat(error.path("param").asText()).isEqualTo("nonce");
            assertThat(error.path("code").asText()).isEqualTo("invalid_nonce");
        }
    }

    @Test
    void healthNamesTheCurrentKey() throws Exception {
        E2eeTestClient.Answer answer = client.get("/health");

        assertThat(answer.status()).isEqualTo(200);
        JsonNode body = JSON.readTree(answer.body());
        assertThat(body.path("status").asText()).isEqualTo("ok");
        assertThat(body.path("node_key_id").asText()).isEqualTo(node.currentNodeKeyId());
    }

    @Test
    void wholeChatRoundTripsWithASignedReceipt() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(200);
        assertThat(opened.head().contentType()).isEqualTo("application/json");
        assertThat(opened.chunks()).hasSize(1);
        JsonNode answer = JSON.readTree(opened.chunks().get(0));
        assertThat(answer.path("choices").path(0).path("message").path("content").asText()).isEqualTo(FakeEngine.ANSWER);
        assertThat(opened.receipt().promptTokens()).isEqualTo(FakeEngine.PROMPT_TOKENS);
        assertThat(opened.receipt().completionTokens()).isEqualTo(FakeEngine.COMPLETION_TOKENS);
        assertThat(opened.receipt().model()).isEqualTo("chat");
        assertThat(opened.receipt().path()).isEqualTo(CHAT);
        assertThat(opened.receipt().nodeKeyId()).isEqualTo(verified.nodeKeyId());
        assertThat(opened.receipt().created()).isCloseTo(System.currentTimeMillis() / 1000, within(60L));
        // The engine got its own model name, and no stream options on a whole request.
        assertThat(engine.lastRequest.get().path("model").asText()).isEqualTo("engine-chat");
        assertThat(engine.lastRequest.get().has("stream_options")).isFalse();
        assertThat(engine.lastRequest.get().path("messages").path(0).path("content").asText()).isEqualTo(CANARY);
    }

    @Test
    void aMessagesRequestIsTranslatedForAChatEngineInsideTheNode() throws Exception {
        VerifiedNode verified = client.attest();
        String body = "{\"model\":\"chat\",\"max_tokens\":32,\"system\":\"Be brief.\",\"metadata\":{\"user_id\":\"u1\"},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + CANARY + "\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), "/v1/messages", "chat", false, body);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(200);
        JsonNode message = JSON.readTree(opened.chunks().get(0));
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("model").asText()).isEqualTo("chat");
        assertThat(message.path("content").path(0).path("text").asText()).isEqualTo(FakeEngine.ANSWER);
        assertThat(message.path("usage").path("input_tokens").asLong()).isPositive();
        assertThat(engine.lastPath.get()).isEqualTo("/v1/chat/completions");
        assertThat(opened.receipt().path()).isEqualTo("/v1/messages");
        assertThat(opened.receipt().promptTokens()).isEqualTo(message.path("usage").path("input_tokens").asLong());

        SealedRequest streamed = E2eeTestClient.seal(verified.keyConfig(), "/v1/messages", "chat", true,
                body.replace("\"max_tokens\":32,", "\"max_tokens\":32,\"stream\":true,"));
        E2eeTestClient.Opened events = E2eeTestClient.open(streamed, client.send(verified.keyConfig(), streamed),
                verified.signingKey());
        assertOneTypedEventPerChunk(events.chunks());
        List<String> names = events.chunks().stream().filter(c -> c.length > 0)
                .map(c -> new String(c, StandardCharsets.UTF_8).lines().findFirst().orElse("")).toList();
        assertThat(names.get(0)).isEqualTo("event: message_start");
        assertThat(names.get(names.size() - 1)).isEqualTo("event: message_stop");
        assertThat(events.receipt().completionTokens()).isPositive();
    }

    @Test
    void aResponsesStreamIsTranslatedAndEndsWithCompletedCarryingTheSignedCounts() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), "/v1/responses", "chat", true,
                "{\"model\":\"chat\",\"stream\":true,\"store\":true,\"input\":\"" + CANARY + "\"}");

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(200);
        assertOneTypedEventPerChunk(opened.chunks());
        List<byte[]> nonEmpty = opened.chunks().stream().filter(c -> c.length > 0).toList();
        String last = new String(nonEmpty.get(nonEmpty.size() - 1), StandardCharsets.UTF_8);
        assertThat(last).startsWith("event: response.completed");
        JsonNode completed = JSON.readTree(last.substring(last.indexOf("data: ") + 6));
        assertThat(completed.path("response").path("usage").path("input_tokens").asLong())
                .isEqualTo(opened.receipt().promptTokens());
        assertThat(completed.path("response").path("usage").path("output_tokens").asLong())
                .isEqualTo(opened.receipt().completionTokens());
        assertThat(opened.receipt().path()).isEqualTo("/v1/responses");
    }

    @Test
    void aRequestSealedForOneEndpointDoesNotOpenOnAnother() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), "/v1/messages", "chat", false,
                "{\"model\":\"chat\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

        for (String other : List.of("/v1/chat/completions", "/v1/responses")) {
            E2eeTestClient.Answer answer = client.post(other, E2eeTestClient.headers(verified.keyConfig(),
                    sealed.meta()), sealed.body());
            assertThat(answer.status()).as(other).isEqualTo(400);
            assertThat(JSON.readTree(answer.body()).path("error").path("code").asText()).isEqualTo("e2ee_decrypt_failed");
        }
    }

    @Test
    void statelessAndUntranslatableFieldsAreRefusedSealedInTheEndpointsShape() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest responses = E2eeTestClient.seal(verified.keyConfig(), "/v1/responses", "chat", false,
                "{\"model\":\"chat\",\"input\":\"hi\",\"previous_response_id\":\"resp_1\"}");
        E2eeTestClient.Opened stateful = E2eeTestClient.open(responses, client.send(verified.keyConfig(), responses),
                verified.signingKey());
        assertThat(stateful.head().status()).isEqualTo(400);
        assertThat(JSON.readTree(stateful.chunks().get(0)).path("error").path("param").asText())
                .isEqualTo("previous_response_id");

        SealedRequest messages = E2eeTestClient.seal(verified.keyConfig(), "/v1/messages", "chat", false,
                "{\"model\":\"chat\",\"max_tokens\":8,\"top_k\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        E2eeTestClient.Opened untranslatable = E2eeTestClient.open(messages, client.send(verified.keyConfig(), messages),
                verified.signingKey());
        assertThat(untranslatable.head().status()).isEqualTo(400);
        JsonNode error = JSON.readTree(untranslatable.chunks().get(0));
        assertThat(error.path("type").asText()).isEqualTo("error");
        assertThat(error.path("error").path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("error").path("param").asText()).isEqualTo("top_k");
        assertThat(error.path("error").path("code").asText()).isEqualTo("untranslatable_request");
    }

    @Test
    void streamWithoutUsageDropsTheUsageEventButTheReceiptCountsTokens() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", true, STREAM_REQUEST);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(200);
        assertThat(opened.head().contentType()).startsWith("text/event-stream");
        assertOneEventPerChunk(opened.chunks());
        assertThat(opened.chunks()).noneMatch(c -> new String(c, StandardCharsets.UTF_8).contains("\"usage\""));
        assertThat(new String(opened.chunks().getLast(), StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
        assertThat(contentOf(opened.chunks())).isEqualTo(FakeEngine.ANSWER);
        assertThat(opened.receipt().promptTokens()).isEqualTo(FakeEngine.PROMPT_TOKENS);
        assertThat(opened.receipt().completionTokens()).isEqualTo(FakeEngine.COMPLETION_TOKENS);
        // Usage was asked of the engine on the client's behalf, under the engine's model name.
        JsonNode sent = engine.lastRequest.get();
        assertThat(sent.path("model").asText()).isEqualTo("engine-chat");
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void streamWithUsageKeepsTheUsageEvent() throws Exception {
        VerifiedNode verified = client.attest();
        String request = "{\"model\":\"chat\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", true, request);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertOneEventPerChunk(opened.chunks());
        JsonNode usageEvent = JSON.readTree(new String(opened.chunks().get(opened.chunks().size() - 2),
                StandardCharsets.UTF_8).substring("data: ".length()));
        assertThat(usageEvent.path("choices").isEmpty()).isTrue();
        assertThat(usageEvent.path("usage").path("completion_tokens").asInt()).isEqualTo(FakeEngine.COMPLETION_TOKENS);
        assertThat(opened.receipt().completionTokens()).isEqualTo(FakeEngine.COMPLETION_TOKENS);
    }

    @Test
    void embeddingsRoundTrip() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), "/v1/embeddings", "embed", false,
                "{\"model\":\"embed\",\"input\":\"hello\"}");

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(200);
        assertThat(JSON.readTree(opened.chunks().get(0)).path("data").path(0).path("embedding").size()).isEqualTo(2);
        assertThat(opened.receipt().promptTokens()).isEqualTo(4);
        assertThat(opened.receipt().completionTokens()).isZero();
        assertThat(engine.lastPath.get()).isEqualTo("/v1/embeddings");
        assertThat(engine.lastRequest.get().path("model").asText()).isEqualTo("engine-embed");
    }

    @Test
    void aReplayedRequestIsRefused() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);

        assertThat(client.send(verified.keyConfig(), sealed).status()).isEqualTo(200);
        E2eeTestClient.Answer replay = client.send(verified.keyConfig(), sealed);

        assertError(replay, 400, "e2ee_replay");
    }

    @Test
    void anUnknownKeyIsRefusedWith421() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
        Map<String, String> headers = new HashMap<>(E2eeTestClient.headers(verified.keyConfig(), sealed.meta()));
        headers.put(E2ee.HEADER_NODE_KEY, "00".repeat(16));

        assertError(client.post(CHAT, headers, sealed.body()), 421, "e2ee_unknown_key");
    }

    @Test
    void changedModelStreamOrPathFailsToDecrypt() throws Exception {
        VerifiedNode verified = client.attest();
        KeyConfig key = verified.keyConfig();

        SealedRequest forChat = E2eeTestClient.seal(key, CHAT, "chat", false, WHOLE_REQUEST);
        Map<String, String> otherModel = new HashMap<>(E2eeTestClient.headers(key, forChat.meta()));
        otherModel.put(E2ee.HEADER_MODEL, "chat-b");
        assertError(client.post(CHAT, otherModel, forChat.body()), 400, "e2ee_decrypt_failed");

        SealedRequest whole = E2eeTestClient.seal(key, CHAT, "chat", false, WHOLE_REQUEST);
        Map<String, String> otherStream = new HashMap<>(E2eeTestClient.headers(key, whole.meta()));
        otherStream.put(E2ee.HEADER_STREAM, "true");
        assertError(client.post(CHAT, otherStream, whole.body()), 400, "e2ee_decrypt_failed");

        SealedRequest forCompletions = E2eeTestClient.seal(key, "/v1/completions", "chat", false, "{\"prompt\":\"x\"}");
        assertError(client.post(CHAT, E2eeTestClient.headers(key, forCompletions.meta()), forCompletions.body()), 400,
                "e2ee_decrypt_failed");
    }

    @Test
    void aModelTheNodeDoesNotServeIsRefused() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "gpt-unknown", false, WHOLE_REQUEST);

        assertError(client.send(verified.keyConfig(), sealed), 404, "model_not_found");
    }

    @Test
    void wrongOrMissingHeadersAreRefused() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
        Map<String, String> good = E2eeTestClient.headers(verified.keyConfig(), sealed.meta());

        Map<String, String> noVersion = new HashMap<>(good);
        noVersion.remove(E2ee.HEADER_VERSION);
        assertError(client.post(CHAT, noVersion, sealed.body()), 400, "e2ee_malformed");

        Map<String, String> v2 = new HashMap<>(good);
        v2.put(E2ee.HEADER_VERSION, "v2");
        assertError(client.post(CHAT, v2, sealed.body()), 400, "e2ee_unsupported");

        Map<String, String> badStream = new HashMap<>(good);
        badStream.put(E2ee.HEADER_STREAM, "maybe");
        assertError(client.post(CHAT, badStream, sealed.body()), 400, "e2ee_malformed");

        Map<String, String> noKey = new HashMap<>(good);
        noKey.remove(E2ee.HEADER_NODE_KEY);
        assertError(client.post(CHAT, noKey, sealed.body()), 400, "e2ee_malformed");

        Map<String, String> json = new HashMap<>(good);
        json.put("Content-Type", "application/json");
        assertError(client.post(CHAT, json, WHOLE_REQUEST.getBytes(StandardCharsets.UTF_8)), 400, "e2ee_malformed");

        // The headers were right; the body is not an e2ee body.
        assertError(client.post(CHAT, good, new byte[10]), 400, "e2ee_malformed");
        // And the untouched request still works: nothing above consumed it.
        assertThat(client.post(CHAT, good, sealed.body()).status()).isEqualTo(200);
    }

    @Test
    void anEngineErrorTravelsSealedWithItsStatus() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "reject", false,
                "{\"model\":\"reject\",\"temperature\":9,\"messages\":[]}");

        E2eeTestClient.Answer answer = client.send(verified.keyConfig(), sealed);
        assertThat(answer.text()).doesNotContain("temperature");
        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, answer, verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(400);
        assertThat(JSON.readTree(opened.chunks().get(0)).path("error").path("message").asText())
                .isEqualTo("temperature must be between 0 and 2");
        assertThat(opened.receipt().promptTokens()).isZero();
        assertThat(opened.receipt().completionTokens()).isZero();
    }

    @Test
    void aStreamFlagThatDisagreesWithTheHeaderIsRefusedSealed() throws Exception {
        VerifiedNode verified = client.attest();
        // Encrypted (and so authenticated) as a non-stream request, but the body asks for a stream.
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, STREAM_REQUEST);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(400);
        assertThat(JSON.readTree(opened.chunks().get(0)).path("error").path("code").asText())
                .isEqualTo("e2ee_stream_mismatch");
    }

    @Test
    void anEngineThatFailsMidStreamEndsTheStreamWithASealedErrorAndAReceipt() throws Exception {
        VerifiedNode verified = client.attest();
        String request = "{\"model\":\"die\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "die", true, request);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        assertThat(opened.head().status()).isEqualTo(200);
        String last = new String(opened.chunks().getLast(), StandardCharsets.UTF_8);
        assertThat(last).startsWith("data: {\"error\":").endsWith("\n\n");
        JsonNode error = JSON.readTree(last.substring("data: ".length())).path("error");
        assertThat(error.path("type").asText()).isEqualTo("upstream_error");
        assertThat(error.path("code").asText()).isEqualTo("upstream_stream_interrupted");
        assertThat(error.path("param").isNull()).isTrue();
        assertThat(opened.chunks()).hasSize(3);
        // No usage arrived: the node's own count of what was generated ("Hello", five bytes: two tokens by the byte
        // estimate, the engine model not being an OpenAI one) and of the prompt ("user" and "hi", six bytes: two, plus
        // three for the message and three for the reply), signed as estimated.
        assertThat(opened.receipt().completionTokens()).isEqualTo(2);
        assertThat(opened.receipt().promptTokens()).isEqualTo(8);
        assertThat(opened.receipt().usageEstimated()).isTrue();
    }

    @Test
    void anEngineThatIgnoresStreamOptionsIsCountedAndTheClientStillGetsItsUsageChunk() throws Exception {
        VerifiedNode verified = client.attest();
        String request = "{\"model\":\"nousage\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + CANARY + "\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "nousage", true, request);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        Tokenizer o200k = Tokenizer.named("o200k_base").orElseThrow();
        long prompt = 3 + o200k.count("user") + o200k.count(CANARY) + 3;
        long completion = o200k.count(FakeEngine.ANSWER);
        assertOneEventPerChunk(opened.chunks());
        assertThat(contentOf(opened.chunks())).isEqualTo(FakeEngine.ANSWER);
        assertThat(new String(opened.chunks().getLast(), StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
        JsonNode usageEvent = JSON.readTree(new String(opened.chunks().get(opened.chunks().size() - 2),
                StandardCharsets.UTF_8).substring("data: ".length()));
        assertThat(usageEvent.path("choices").isArray()).isTrue();
        assertThat(usageEvent.path("choices")).isEmpty();
        assertThat(usageEvent.path("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(usageEvent.path("usage").path("prompt_tokens").asLong()).isEqualTo(prompt);
        assertThat(usageEvent.path("usage").path("completion_tokens").asLong()).isEqualTo(completion);
        assertThat(usageEvent.path("usage").path("estimated").asBoolean()).isTrue();
        assertThat(opened.receipt().promptTokens()).isEqualTo(prompt);
        assertThat(opened.receipt().completionTokens()).isEqualTo(completion);
        assertThat(opened.receipt().usageEstimated()).isTrue();
    }

    @Test
    void aWholeAnswerWithoutUsageIsCountedAndSignedAsEstimated() throws Exception {
        VerifiedNode verified = client.attest();
        String request = "{\"model\":\"nousage\",\"messages\":[{\"role\":\"user\",\"content\":\"" + CANARY + "\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "nousage", false, request);

        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());

        Tokenizer o200k = Tokenizer.named("o200k_base").orElseThrow();
        assertThat(opened.head().status()).isEqualTo(200);
        assertThat(opened.receipt().promptTokens()).isEqualTo(3 + o200k.count("user") + o200k.count(CANARY) + 3);
        assertThat(opened.receipt().completionTokens()).isEqualTo(o200k.count(FakeEngine.ANSWER));
        assertThat(opened.receipt().usageEstimated()).isTrue();
    }

    @Test
    void anEngineThatReportsUsageIsNotMarkedEstimated() throws Exception {
        VerifiedNode verified = client.attest();
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
        E2eeTestClient.Opened opened = E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed),
                verified.signingKey());
        assertThat(opened.receipt().usageEstimated()).isFalse();
        assertThat(opened.receipt().promptTokens()).isEqualTo(FakeEngine.PROMPT_TOKENS);
    }

    @Test
    void aClientThatLeavesCancelsTheEngineRequest() throws Exception {
        VerifiedNode verified = client.attest();
        String request = "{\"model\":\"slow\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "slow", true, request);

        try (Socket socket = new Socket("127.0.0.1", node.port())) {
            rawRequest(socket, verified.keyConfig(), sealed);
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int total = 0;
            // The HTTP head, the nonce, the sealed head and a few events: the stream is running.
            while (total < 600) {
                int n = in.read(buffer);
                assertThat(n).isPositive();
                total += n;
            }
            assertThat(engine.cancelled).isNotDone();
        }

        assertThat(engine.cancelled).succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    void aClientThatDoesNotReadPausesTheEngine() throws Exception {
        VerifiedNode verified = client.attest();
        String request = "{\"model\":\"flood\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "flood", true, request);

        try (Socket socket = new Socket("127.0.0.1", node.port())) {
            socket.setReceiveBufferSize(64 * 1024);
            rawRequest(socket, verified.keyConfig(), sealed);
            // Read nothing: the node's write queue fills, it pauses the engine, and the engine's writes stall.
            long stalled = waitForPlateau(engine.flooded);
            assertThat(stalled).isPositive().isLessThan(64L * 1024 * 1024);
            // Reading some lets it go on.
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            while (read < 2 * stalled) {
                read += in.read(buffer);
            }
            assertThat(engine.flooded.get()).isGreaterThan(stalled);
        }
        assertThat(engine.floodCancelled).succeedsWithin(Duration.ofSeconds(5));
    }

    @Test
    void logsCarryNoContent() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        try {
            VerifiedNode verified = client.attest();
            for (String[] call : new String[][]{{"chat", "false"}, {"chat", "true"}, {"reject", "false"}, {"die", "true"}}) {
                boolean stream = Boolean.parseBoolean(call[1]);
                String request = "{\"model\":\"" + call[0] + "\",\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + CANARY + "\"}]}";
                SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, call[0], stream, request);
                E2eeTestClient.open(sealed, client.send(verified.keyConfig(), sealed), verified.signingKey());
            }
        } finally {
            root.detachAppender(logs);
        }

        assertThat(logs.list).isNotEmpty();
        assertThat(logs.list).filteredOn(e -> e.getLoggerName().startsWith("dev.veil.node"))
                .allSatisfy(e -> {
                    assertThat(e.getFormattedMessage()).doesNotContain(CANARY, "Hello", "temperature");
                    assertThat(e.getThrowableProxy()).isNull();
                });
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.contains("path=/v1/chat/completions") && m.contains("engine_status=400"));
    }

    @Test
    void aBodyOverTheLimitIsRefusedWith413() throws Exception {
        try (VeilNode small = VeilNode.start(NodeSettings.of(engine.baseUrl(), MODELS).withMaxBodyBytes(2048))) {
            E2eeTestClient smallClient = new E2eeTestClient(small.baseUrl());
            VerifiedNode verified = smallClient.attest();
            String big = "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(4000) + "\"}]}";
            SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", false, big);

            assertError(smallClient.send(verified.keyConfig(), sealed), 413, "request_too_large");
        }
    }

    @Test
    void anUnreachableEngineIsAClear502() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        try (VeilNode orphan = VeilNode.start(NodeSettings.of("http://127.0.0.1:" + closedPort + "/v1", MODELS))) {
            E2eeTestClient orphanClient = new E2eeTestClient(orphan.baseUrl());
            VerifiedNode verified = orphanClient.attest();
            SealedRequest sealed = E2eeTestClient.seal(verified.keyConfig(), CHAT, "chat", true, STREAM_REQUEST);

            assertError(orphanClient.send(verified.keyConfig(), sealed), 502, "e2ee_engine_unavailable");
        }
    }

    @Test
    void aRotatedKeyWorksDuringItsGraceAndIsRefusedAfter() throws Exception {
        NodeSettings settings = NodeSettings.of(engine.baseUrl(), MODELS)
                .withRotation(Duration.ofHours(1), Duration.ofMillis(500));
        try (VeilNode rotating = VeilNode.start(settings)) {
            E2eeTestClient c = new E2eeTestClient(rotating.baseUrl());
            VerifiedNode before = c.attest();

            rotating.rotateNow();

            VerifiedNode after = c.attest();
            assertThat(rotating.currentNodeKeyId()).isEqualTo(after.nodeKeyId()).isNotEqualTo(before.nodeKeyId());
            assertThat(after.keyConfig().keyId()).isEqualTo((before.keyConfig().keyId() + 1) % 256);
            assertThat(after.signingKey()).isEqualTo(before.signingKey());
            SealedRequest inGrace = E2eeTestClient.seal(before.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
            assertThat(E2eeTestClient.open(inGrace, c.send(before.keyConfig(), inGrace), before.signingKey())
                    .receipt().nodeKeyId()).isEqualTo(before.nodeKeyId());

            TimeUnit.MILLISECONDS.sleep(700);

            SealedRequest late = E2eeTestClient.seal(before.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
            assertError(c.send(before.keyConfig(), late), 421, "e2ee_unknown_key");
            SealedRequest current = E2eeTestClient.seal(after.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
            assertThat(c.send(after.keyConfig(), current).status()).isEqualTo(200);
        }
    }

    @Test
    void aFullReplaySetRotatesTheKey() throws Exception {
        NodeSettings settings = NodeSettings.of(engine.baseUrl(), MODELS).withReplayCapacity(2);
        try (VeilNode bounded = VeilNode.start(settings)) {
            E2eeTestClient c = new E2eeTestClient(bounded.baseUrl());
            VerifiedNode first = c.attest();
            for (int i = 0; i < 2; i++) {
                SealedRequest sealed = E2eeTestClient.seal(first.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
                assertThat(c.send(first.keyConfig(), sealed).status()).isEqualTo(200);
            }

            assertThat(bounded.currentNodeKeyId()).isNotEqualTo(first.nodeKeyId());
            SealedRequest third = E2eeTestClient.seal(first.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
            assertError(c.send(first.keyConfig(), third), 421, "e2ee_unknown_key");
            VerifiedNode second = c.attest();
            SealedRequest fresh = E2eeTestClient.seal(second.keyConfig(), CHAT, "chat", false, WHOLE_REQUEST);
            assertThat(c.send(second.keyConfig(), fresh).status()).isEqualTo(200);
        }
    }

    @Test
    void aRemoteEngineIsRefusedUnlessExplicitlyAllowed() {
        NodeSettings remote = NodeSettings.of("http://10.20.30.40:8000/v1", MODELS);

        assertThatThrownBy(() -> VeilNode.start(remote))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a loopback address")
                .hasMessageContaining("allowRemoteEngine");
        try (VeilNode allowed = VeilNode.start(remote.withAllowRemoteEngine(true))) {
            assertThat(allowed.currentNodeKeyId()).hasSize(32);
        }
    }

    /** Writes an HTTP/1.1 request for {@code sealed} by hand, so the test controls when (and whether) it reads. */
    private static void rawRequest(Socket socket, KeyConfig key, SealedRequest sealed) throws Exception {
        byte[] body = sealed.body();
        StringBuilder head = new StringBuilder("POST " + sealed.meta().path() + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        E2eeTestClient.headers(key, sealed.meta()).forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
        head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        OutputStream out = socket.getOutputStream();
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
    }

    /** Waits until {@code counter} stops growing for a while, and returns its value then. */
    private static long waitForPlateau(java.util.concurrent.atomic.AtomicLong counter) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long last = -1;
        int still = 0;
        while (System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(100);
            long now = counter.get();
            still = now == last ? still + 1 : 0;
            last = now;
            if (still >= 5 && now > 0) {
                return now;
            }
        }
        return counter.get();
    }

    /** A typed stream (Responses, Messages): every non-empty sealed chunk is exactly one {@code event:} event. */
    private static void assertOneTypedEventPerChunk(List<byte[]> chunks) {
        assertThat(chunks.stream().filter(c -> c.length > 0).toList()).isNotEmpty().allSatisfy(chunk -> {
            String event = new String(chunk, StandardCharsets.UTF_8);
            assertThat(event).startsWith("event: ").endsWith("\n\n");
            assertThat(event.substring(0, event.length() - 2)).doesNotContain("\n\n");
        });
    }

    private static void assertOneEventPerChunk(List<byte[]> chunks) {
        assertThat(chunks).isNotEmpty().allSatisfy(chunk -> {
            String event = new String(chunk, StandardCharsets.UTF_8);
            assertThat(event).startsWith("data: ");
            assertThat(event.endsWith("\n\n") || event.endsWith("\r\n\r\n")).as(event).isTrue();
            String inner = event.substring(0, event.length() - (event.endsWith("\r\n\r\n") ? 4 : 2));
            assertThat(inner).doesNotContain("\n\n").doesNotContain("\r\n\r\n");
        });
    }

    private static String contentOf(List<byte[]> chunks) throws Exception {
        StringBuilder text = new StringBuilder();
        for (byte[] chunk : chunks) {
            String payload = new String(chunk, StandardCharsets.UTF_8).substring("data: ".length()).trim();
            if (!payload.equals("[DONE]")) {
                text.append(JSON.readTree(payload).path("choices").path(0).path("delta").path("content").asText(""));
            }
        }
        return text.toString();
    }

    private static void assertError(E2eeTestClient.Answer answer, int status, String code) throws Exception {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        assertThat(answer.contentType()).isEqualTo("application/json");
        JsonNode error = JSON.readTree(answer.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.has("message")).isTrue();
        assertThat(error.has("type")).isTrue();
        assertThat(error.has("param")).isTrue();
    }
}
