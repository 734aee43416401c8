package dev.veil.client.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.FakeNode;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class E2eeProxyTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String CHAT_BODY = "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"secret prompt\"}]}";
    static final String STREAM_BODY = "{\"model\":\"test-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    static FakeNode node;
    static E2eeProxy proxy;
    static HttpClient http;

    @BeforeAll
    static void start() throws Exception {
        node = new FakeNode();
        proxy = E2eeProxy.start(new ProxySettings(node.url(), FakeNode.API_KEY, "127.0.0.1", 0, FakeNode.DEV));
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        node.close();
        http.close();
    }

    @BeforeEach
    void reset() {
        node.reset();
    }

    static HttpResponse<String> post(E2eeProxy p, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(p.baseUrl() + path))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer anything-local")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode error(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        return JSON.readTree(response.body()).get("error");
    }

    @Test
    void listensOnTheChosenPortAndPrintsAV1BaseUrl() {
        assertThat(proxy.port()).isPositive();
        assertThat(proxy.baseUrl()).isEqualTo("http://127.0.0.1:" + proxy.port() + "/v1");
    }

    @Test
    void relaysAWholeChatAnswerEncryptedEndToEnd() throws Exception {
        HttpResponse<String> response = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        assertThat(response.headers().firstValue("x-veil-e2ee")).contains("v1");
        assertThat(response.headers().firstValue("x-veil-attestation")).contains("simulated");
        assertThat(response.headers().firstValue("x-veil-node-key")).contains(node.nodeKeyId());
        assertThat(JSON.readTree(response.body()).at("/choices/0/message/content").asText()).isEqualTo("echo: secret prompt");
        // The node decrypted exactly the local client's body; the gateway got the proxy's key, not the local one.
        assertThat(node.plaintexts).containsExactly(CHAT_BODY);
        assertThat(node.authorizations).allMatch(a -> a.equals("Bearer " + FakeNode.API_KEY));
    }

    @Test
    void relaysAStreamEventByEventEndingWithDone() throws Exception {
        CompletableFuture<Boolean> gate = new CompletableFuture<>();
        node.gate = gate;
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(URI.create(proxy.baseUrl() + "/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(STREAM_BODY)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).contains("text/event-stream");
        StringBuilder all = new StringBuilder();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                all.append(line).append('\n');
                if (line.isEmpty() && !gate.isDone()) {
                    // The first event arrived while the node still holds back the rest: the proxy did not buffer.
                    gate.complete(true);
                }
            }
        }
        assertThat(node.gateOpened).isTrue();
        assertThat(all.toString()).isEqualTo(String.join("", FakeNode.EVENTS));
    }

    @Test
    void handsOnTheGatewaysReceiptWithAVerifiedMarker() throws Exception {
        HttpResponse<String> response = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(response.statusCode()).isEqualTo(200);
        String receipt = response.headers().firstValue("x-veil-receipt").orElseThrow();
        String signature = response.headers().firstValue("x-veil-receipt-signature").orElseThrow();
        assertThat(response.headers().firstValue("x-veil-receipt-verified")).hasValue("true");
        assertThat(dev.veil.protocol.receipt.GatewayReceipt.fromHeaders(receipt, signature)
                .verifies(node.receiptKey.publicKey())).isTrue();
    }

    @Test
    void refusesAForgedOrMisboundGatewayReceipt() throws Exception {
        for (FakeNode.Mode bad : java.util.List.of(FakeNode.Mode.GATEWAY_RECEIPT_FORGED,
                FakeNode.Mode.GATEWAY_RECEIPT_BIT_FLIPPED, FakeNode.Mode.GATEWAY_RECEIPT_OTHER_BODY,
                FakeNode.Mode.GATEWAY_RECEIPT_MISSING)) {
            node.mode = bad;
            HttpResponse<String> response = post(proxy, "/chat/completions", STREAM_BODY);
            assertThat(response.statusCode()).as(bad.name()).isEqualTo(502);
            assertThat(error(response).path("code").asText()).as(bad.name()).isEqualTo("e2ee_bad_receipt");
            assertThat(response.body()).as(bad.name()).contains("gateway receipt").doesNotContain("Hel");
        }
    }

    @Test
    void relaysEmbeddingsAndCompletions() throws Exception {
        HttpResponse<String> response = post(proxy, "/embeddings", "{\"model\":\"test-model\",\"input\":\"hello\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).at("/data/0/embedding/1").asDouble()).isEqualTo(-0.5);
        assertThat(post(proxy, "/completions", "{\"model\":\"test-model\",\"prompt\":\"x\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void refusesSimulatedEvidenceWithoutAllowSimulated() throws Exception {
        try (E2eeProxy strict = E2eeProxy.start(new ProxySettings(node.url(), FakeNode.API_KEY, "127.0.0.1", 0,
                AttestationPolicy.HARDWARE_ONLY))) {
            HttpResponse<String> response = post(strict, "/chat/completions", CHAT_BODY);
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(response.body()).isEqualTo("{\"error\":{\"message\":\"The node's attestation evidence is simulated "
                    + "(no hardware TEE); start the proxy with --allow-simulated to accept it for development.\","
                    + "\"type\":\"attestation_error\",\"param\":null,\"code\":\"attestation_simulated_not_allowed\"}}");
        }
        assertThat(node.inferences).hasValue(0);
    }

    @Test
    void refusesOtherAttestationFailuresWithTheirCode() throws Exception {
        node.mode = FakeNode.Mode.WRONG_NONCE;
        try (E2eeProxy fresh = E2eeProxy.start(new ProxySettings(node.url(), FakeNode.API_KEY, "127.0.0.1", 0,
                FakeNode.DEV))) {
            HttpResponse<String> response = post(fresh, "/chat/completions", CHAT_BODY);
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(error(response).get("code").asText()).isEqualTo("attestation_nonce_mismatch");
            assertThat(error(response).get("type").asText()).isEqualTo("attestation_error");
        }
    }

    @Test
    void listsOnlyTheModelsItCanServe() throws Exception {
        HttpResponse<String> list = get("/models");
        assertThat(list.statusCode()).isEqualTo(200);
        JsonNode data = JSON.readTree(list.body()).get("data");
        assertThat(data).hasSize(1);
        assertThat(data.get(0)).isEqualTo(JSON.readTree(FakeNode.E2EE_MODEL_JSON));
        HttpResponse<String> one = get("/models/test-model");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(one.body()).get("id").asText()).isEqualTo("test-model");
        HttpResponse<String> plain = get("/models/" + FakeNode.PLAIN_MODEL);
        assertThat(plain.statusCode()).isEqualTo(404);
        assertThat(error(plain).get("code").asText()).isEqualTo("model_not_e2ee");
        HttpResponse<String> missing = get("/models/nope");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(error(missing).get("code").asText()).isEqualTo("model_not_found");
        assertThat(node.modelCalls).hasValue(3);
    }

    @Test
    void aModelWithoutAnE2eeNodeIsAClientErrorThatSaysSo() throws Exception {
        HttpResponse<String> plain = post(proxy, "/chat/completions", CHAT_BODY.replace(FakeNode.MODEL, FakeNode.PLAIN_MODEL));
        assertThat(plain.statusCode()).as(plain.body()).isEqualTo(400);
        JsonNode error = error(plain);
        assertThat(error.get("code").asText()).isEqualTo("model_not_e2ee");
        assertThat(error.get("param").asText()).isEqualTo("model");
        assertThat(error.get("message").asText()).contains("GET /v1/models").doesNotContain("retry");
        HttpResponse<String> unknown = post(proxy, "/chat/completions", CHAT_BODY.replace(FakeNode.MODEL, "nope"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(error(unknown).get("message").asText()).doesNotContain("/v1/attestation");
    }

    @Test
    void answersBadRequestsInTheOpenAiShape() throws Exception {
        HttpResponse<String> badJson = post(proxy, "/chat/completions", "{not json");
        assertThat(badJson.statusCode()).isEqualTo(400);
        assertThat(error(badJson).get("code").asText()).isEqualTo("invalid_json");

        HttpResponse<String> noModel = post(proxy, "/chat/completions", "{\"messages\":[]}");
        assertThat(noModel.statusCode()).isEqualTo(400);
        assertThat(error(noModel).get("param").asText()).isEqualTo("model");

        HttpResponse<String> badStream = post(proxy, "/chat/completions", "{\"model\":\"test-model\",\"stream\":\"yes\"}");
        assertThat(badStream.statusCode()).isEqualTo(400);
        assertThat(error(badStream).get("param").asText()).isEqualTo("stream");

        HttpResponse<String> tooLarge = post(proxy, "/chat/completions", "x".repeat(16 * 1024 * 1024 + 1));
        assertThat(tooLarge.statusCode()).isEqualTo(413);
        assertThat(error(tooLarge).get("code").asText()).isEqualTo("request_too_large");

        HttpResponse<String> wrongMethod = get("/chat/completions");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);

        HttpResponse<String> unknown = get("/nothing");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(node.inferences).hasValue(0);
    }

    @Test
    void endsAStreamThatFailsMidwayWithAnErrorEventAndNoDone() throws Exception {
        node.mode = FakeNode.Mode.TAMPER_FINAL;
        HttpResponse<String> response = post(proxy, "/chat/completions", STREAM_BODY);
        assertThat(response.statusCode()).isEqualTo(200);
        String body = response.body();
        assertThat(body).startsWith(FakeNode.EVENTS.get(0) + FakeNode.EVENTS.get(1) + FakeNode.EVENTS.get(2));
        assertThat(body).doesNotContain("[DONE]");
        String last = body.substring(body.lastIndexOf("data: ")).trim();
        assertThat(JSON.readTree(last.substring("data: ".length())).at("/error/code").asText())
                .isEqualTo("e2ee_frame_rejected");
    }

    @Test
    void endsAStreamWhoseReceiptFailsWithoutDone() throws Exception {
        node.mode = FakeNode.Mode.BAD_RECEIPT_SIGNATURE;
        HttpResponse<String> response = post(proxy, "/chat/completions", STREAM_BODY);
        assertThat(response.body()).doesNotContain("[DONE]").contains("e2ee_bad_receipt");
    }

    @Test
    void endsAStreamWhoseConnectionBreaksWithAnError() throws Exception {
        node.mode = FakeNode.Mode.BREAK_CONNECTION;
        HttpResponse<String> response = post(proxy, "/chat/completions", STREAM_BODY);
        assertThat(response.body()).doesNotContain("[DONE]").contains("e2ee_truncated");
    }

    @Test
    void answersAnE2eeFailureBeforeTheAnswerWithItsCode() throws Exception {
        node.mode = FakeNode.Mode.TAMPER_FIRST_EVENT;
        HttpResponse<String> stream = post(proxy, "/chat/completions", STREAM_BODY);
        assertThat(stream.statusCode()).isEqualTo(502);
        assertThat(error(stream).get("code").asText()).isEqualTo("e2ee_frame_rejected");
        assertThat(error(stream).get("type").asText()).isEqualTo("e2ee_error");

        node.mode = FakeNode.Mode.BAD_RECEIPT_SIGNATURE;
        HttpResponse<String> whole = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(whole.statusCode()).isEqualTo(502);
        assertThat(error(whole).get("code").asText()).isEqualTo("e2ee_bad_receipt");
        assertThat(whole.body()).doesNotContain("echo");

        node.mode = FakeNode.Mode.TRUNCATE;
        HttpResponse<String> truncated = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(truncated.statusCode()).isEqualTo(502);
        assertThat(error(truncated).get("code").asText()).isEqualTo("e2ee_truncated");
    }

    @Test
    void passesTheGatewaysErrorsThrough() throws Exception {
        node.mode = FakeNode.Mode.NO_COMPLIANT_ROUTE;
        HttpResponse<String> response = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(error(response).get("code").asText()).isEqualTo("no_compliant_route");
        assertThat(error(response).get("type").asText()).isEqualTo("permission_error");

        try (E2eeProxy wrongKey = E2eeProxy.start(new ProxySettings(node.url(), "wrong", "127.0.0.1", 0, FakeNode.DEV))) {
            HttpResponse<String> denied = post(wrongKey, "/chat/completions", CHAT_BODY);
            assertThat(denied.statusCode()).isEqualTo(401);
            assertThat(error(denied).get("code").asText()).isEqualTo("invalid_api_key");
        }
    }

    @Test
    void relaysTheEnginesOwnErrorStatus() throws Exception {
        node.mode = FakeNode.Mode.ENGINE_ERROR;
        HttpResponse<String> response = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(error(response).get("param").asText()).isEqualTo("max_tokens");
    }

    @Test
    void reAttestsOnceWhenTheKeyRotated() throws Exception {
        post(proxy, "/chat/completions", CHAT_BODY);
        node.mode = FakeNode.Mode.UNKNOWN_KEY_ONCE;
        HttpResponse<String> response = post(proxy, "/chat/completions", CHAT_BODY);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-veil-node-key")).contains(node.nodeKeyId());
    }

    @Test
    void saysWhenTheGatewayIsUnreachable() throws Exception {
        try (E2eeProxy nowhere = E2eeProxy.start(new ProxySettings("http://127.0.0.1:1", FakeNode.API_KEY, "127.0.0.1", 0,
                FakeNode.DEV))) {
            HttpResponse<String> response = post(nowhere, "/chat/completions", CHAT_BODY);
            assertThat(response.statusCode()).isEqualTo(502);
            assertThat(error(response).get("code").asText()).isEqualTo("gateway_unreachable");
            HttpResponse<String> models = http.send(HttpRequest.newBuilder(URI.create(nowhere.baseUrl() + "/models"))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(models.statusCode()).isEqualTo(502);
        }
    }
}
