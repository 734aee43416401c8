package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil demo} as a user runs it: the shaded jar in its own process, with nothing configured. It must print a
 * working key and examples, and serve chat, streams, embeddings and a labelled model list.
 */
@Timeout(60)
class DemoCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KEY_LINE = Pattern.compile("^VEIL_API_KEY=(\\S+)$");

    @TempDir
    static Path dataDir;

    private static CompatProcess demo;
    private static String key;
    private static String origin;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startDemo() throws Exception {
        int port = CompatProcess.freePort();
        origin = "http://127.0.0.1:" + port;
        demo = CompatProcess.start(dataDir, "demo", "--port", Integer.toString(port),
                "--data-dir", dataDir.resolve("store").toString());
        Matcher m = demo.awaitLine(KEY_LINE, Duration.ofSeconds(30));
        key = m.group(1);
        // The welcome text ends with the stop hint; wait for it so the stdout checks see all of it.
        demo.awaitText("Ctrl+C", Duration.ofSeconds(5));
    }

    @AfterAll
    static void stopDemo() throws Exception {
        if (demo != null) {
            demo.close();
            assertThat(demo.isAlive()).as("the demo process must stop").isFalse();
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(origin + path))
                .header("authorization", "Bearer " + key)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    @Test
    void welcomePrintsTheKeyThenACurlAndAnSdkExample() {
        List<String> lines = demo.stdoutLines();
        int keyLine = lines.indexOf("VEIL_API_KEY=" + key);
        assertThat(keyLine).as("key line in stdout:\n%s", demo.stdout()).isNotNegative();
        assertThat(key).hasSizeGreaterThan(20);
        List<String> after = lines.subList(keyLine + 1, lines.size());
        String rest = String.join("\n", after);
        assertThat(after).anySatisfy(l -> assertThat(l).contains("curl").contains(origin + "/v1/chat/completions"));
        assertThat(after).anySatisfy(l -> assertThat(l).contains("curl").contains(origin + "/v1/models"));
        assertThat(rest).contains("export VEIL_API_KEY=" + key);
        assertThat(rest).contains("Authorization: Bearer $VEIL_API_KEY");
        assertThat(rest).contains("from openai import OpenAI");
        assertThat(rest).contains("base_url=\"" + origin + "/v1\"").contains("api_key=\"" + key + "\"");
        assertThat(rest).contains("veil-demo-chat");
        // Before the key: what the demo is, and each model's privacy mode.
        String before = String.join("\n", lines.subList(0, keyLine));
        assertThat(before).contains("DEMO").contains(origin);
        assertThat(before).contains("veil-demo-chat  privacy mode: anonymized")
                .contains("veil-demo-embed  privacy mode: private");
    }

    @Test
    void welcomePrintsTheDashboardAndAnAdminLoginThatWorks() throws Exception {
        List<String> lines = demo.stdoutLines();
        assertThat(lines).as(demo.stdout()).contains("Dashboard: " + origin + "/ui");
        String login = lines.stream().filter(l -> l.contains("operator login")).findFirst().orElseThrow();
        String token = login.substring(login.lastIndexOf(' ') + 1);
        assertThat(token).startsWith("veil_admin_");
        HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(origin + "/ui")).GET());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(
                csp -> assertThat(csp).contains("script-src 'self'"));
        HttpResponse<String> operator = send(HttpRequest.newBuilder(URI.create(origin + "/ui/login"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + token + "\"}")));
        assertThat(operator.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(operator.body()).path("role").asText()).isEqualTo("operator");
        HttpResponse<String> owner = send(HttpRequest.newBuilder(URI.create(origin + "/ui/login"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"" + key + "\"}")));
        assertThat(JSON.readTree(owner.body()).path("role").asText()).isEqualTo("key_owner");
        // The demo's node shows as admitted, with its simulated identity, in the operator's node view.
        HttpResponse<String> nodes = send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/nodes"))
                .header("authorization", "Bearer " + token).GET());
        assertThat(nodes.statusCode()).isEqualTo(200);
        JsonNode node = JSON.readTree(nodes.body()).path("data").get(0);
        assertThat(node.path("state").asText()).isEqualTo("admitted");
        assertThat(node.path("attestation").path("simulated").asBoolean()).isTrue();
        assertThat(node.path("attestation").path("last_verified_at").asText()).isNotBlank();
        // The operator's session reads the same view.
        String cookie = operator.headers().firstValue("set-cookie").orElseThrow().split(";", 2)[0];
        assertThat(send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/nodes")).header("cookie", cookie).GET())
                .body()).isEqualTo(nodes.body());
    }

    @Test
    void aSecondNodeJoinsTheDemoByThePrintedRecipe() throws Exception {
        List<String> lines = demo.stdoutLines();
        String login = lines.stream().filter(l -> l.contains("operator login")).findFirst().orElseThrow();
        Map<String, String> admin = Map.of("VEIL_ADMIN_TOKEN", login.substring(login.lastIndexOf(' ') + 1));
        String nodeLine = lines.stream().filter(l -> l.contains("./veil node --engine")).findFirst()
                .orElseThrow(() -> new AssertionError("no join recipe in:\n" + demo.stdout()));
        String engine = nodeLine.split("--engine ", 2)[1].split(" ", 2)[0];
        assertThat(String.join("\n", lines)).contains("./veil nodes tokens create --model veil-demo-joined --gateway " + origin);
        CompatProcess.Result created = CompatProcess.run(dataDir, Duration.ofSeconds(60), admin, "nodes", "tokens", "create",
                "--model", "veil-demo-joined", "--gateway", origin);
        assertThat(created.exit()).as(created.stderr()).isZero();
        String token = JSON.readTree(created.stdout()).path("token").asText();
        int port = CompatProcess.freePort();
        try (GatewayProcess node = GatewayProcess.start(List.of(), List.of("node", "--engine", engine, "--model",
                "veil-demo-joined=demo-chat", "--port", Integer.toString(port), "--join", origin, "--join-token-env",
                "VEIL_JOIN_TOKEN", "--name", "second-node"), Map.of("VEIL_JOIN_TOKEN", token), dataDir.resolve("node2.log"))) {
            String ask = "{\"model\":\"veil-demo-joined\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            HttpResponse<String> served = post("/v1/chat/completions", ask);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (served.statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(250);
                served = post("/v1/chat/completions", ask);
            }
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
            String route = served.headers().firstValue("x-veil-route").orElseThrow();
            assertThat(route).startsWith("nr_");
            HttpResponse<String> nodes = send(HttpRequest.newBuilder(URI.create(origin + "/v1/admin/nodes"))
                    .header("authorization", "Bearer " + admin.get("VEIL_ADMIN_TOKEN")).GET());
            JsonNode joined = null;
            for (JsonNode n : JSON.readTree(nodes.body()).path("data")) {
                if (route.equals(n.path("id").asText())) {
                    joined = n;
                }
            }
            assertThat(joined).as(nodes.body()).isNotNull();
            assertThat(joined.path("name").asText()).isEqualTo("second-node");
            assertThat(joined.path("state").asText()).isEqualTo("admitted");
            String nodeKeyId = joined.path("attestation").path("node_key_id").asText();
            HttpResponse<String> log = send(HttpRequest.newBuilder(URI.create(origin + "/v1/transparency/entries?start=0"))
                    .header("authorization", "Bearer " + key).GET());
            assertThat(log.statusCode()).as(log.body()).isEqualTo(200);
            assertThat(log.body()).as("the joined node's identity is in the transparency log").contains(nodeKeyId);
        }
    }

    @Test
    void requestPoliciesVisiblyChangeWhereADemoRequestGoes() throws Exception {
        String ask = "{\"model\":\"veil-demo-chat\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> zdr = post("/v1/chat/completions", ask + ",\"provider\":{\"zdr\":true}}");
            assertThat(zdr.statusCode()).isEqualTo(200);
            assertThat(zdr.headers().firstValue("x-veil-route").orElseThrow()).isIn("demo-private", "demo-tee-simulated");
        }
        HttpResponse<String> tee = post("/v1/chat/completions", ask + ",\"privacy\":{\"min_mode\":\"tee\"}}");
        assertThat(tee.headers().firstValue("x-veil-route")).contains("demo-tee-simulated");
        assertThat(tee.headers().firstValue("x-veil-privacy-mode")).contains("tee");
        assertThat(tee.headers().firstValue("x-veil-receipt").orElseThrow()).contains("\"tee\":\"simulated\"");
        HttpResponse<String> e2ee = post("/v1/chat/completions", ask + ",\"privacy\":{\"min_mode\":\"e2ee\"}}");
        assertThat(e2ee.statusCode()).isEqualTo(403);
        JsonNode error = JSON.readTree(e2ee.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("privacy_policy_violation");
        assertThat(error.path("excluded")).hasSize(3);
    }

    @Test
    void theE2eeModelShowsSimulatedCpuAndGpuEvidenceThatOnlyAnExplicitOptInAccepts() throws Exception {
        byte[] nonce = new byte[32];
        new java.security.SecureRandom().nextBytes(nonce);
        HttpResponse<String> answer = send(HttpRequest.newBuilder(URI.create(origin + "/v1/attestation?model=veil-demo-e2ee"
                + "&nonce=" + java.util.HexFormat.of().formatHex(nonce))).header("authorization", "Bearer " + key).GET());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode node = JSON.readTree(answer.body()).path("nodes").get(0);
        assertThat(node.path("simulated").asBoolean()).isTrue();
        assertThat(node.path("gpus")).hasSize(1);
        assertThat(node.path("gpus").get(0).path("format").asText()).isEqualTo("simulated-gpu");
        assertThat(node.path("gpus").get(0).path("simulated").asBoolean()).isTrue();
        // /v1/models shows what the gateway verified of the node behind the route: CPU format, GPUs, when.
        HttpResponse<String> model = send(HttpRequest.newBuilder(URI.create(origin + "/v1/models/veil-demo-e2ee"))
                .header("authorization", "Bearer " + key).GET());
        JsonNode attested = JSON.readTree(model.body()).path("privacy").path("routes").get(0).path("attestation");
        assertThat(attested.path("verified").asBoolean()).as(model.body()).isTrue();
        assertThat(attested.path("format").asText()).isEqualTo("simulated");
        assertThat(attested.path("simulated").asBoolean()).isTrue();
        assertThat(attested.path("gpu_count").asInt()).isEqualTo(1);
        assertThat(attested.path("gpus").get(0).path("architecture").asText()).isEqualTo("hopper");
        assertThat(attested.path("verified_at").asText()).isNotEmpty();
        var evidence = dev.veil.protocol.attestation.Evidence.parse(JSON.writeValueAsBytes(node));
        var verifier = dev.veil.protocol.attestation.HardwareVerifiers.verifier(null, null);
        assertThat(verifier.verify(evidence, nonce, new dev.veil.protocol.attestation.AttestationPolicy(
                java.util.Set.of(), java.util.Set.of(), true, 1)).gpus()).hasSize(1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> verifier.verify(evidence, nonce,
                dev.veil.protocol.attestation.AttestationPolicy.HARDWARE_ONLY))
                .isInstanceOf(dev.veil.protocol.attestation.AttestationException.SimulatedNotAllowed.class);
        // The proxy without --allow-simulated refuses the node, so the request never leaves the machine.
        try (dev.veil.client.proxy.E2eeProxy proxy = dev.veil.client.proxy.E2eeProxy.start(
                new dev.veil.client.proxy.ProxySettings(origin, key, "127.0.0.1", 0,
                        dev.veil.protocol.attestation.AttestationPolicy.HARDWARE_ONLY))) {
            HttpResponse<String> refused = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port()
                            + "/v1/chat/completions")).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"veil-demo-e2ee\",\"messages\":[{\"role\":"
                            + "\"user\",\"content\":\"hi\"}]}")));
            assertThat(refused.statusCode()).as(refused.body()).isGreaterThanOrEqualTo(400);
            assertThat(refused.body()).contains("simulated");
        }
    }

    @Test
    void theE2eeModelGetsTheSamePolicyVerdictThroughTheProxyAsInPlaintext() throws Exception {
        // The finding: "privacy":{"jurisdictions":["EU"]} got 200 through veil proxy and 403 in plaintext.
        String ask = "{\"model\":\"veil-demo-e2ee\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        try (dev.veil.client.proxy.E2eeProxy proxy = dev.veil.client.proxy.E2eeProxy.start(
                new dev.veil.client.proxy.ProxySettings(origin, key, "127.0.0.1", 0,
                        new dev.veil.protocol.attestation.AttestationPolicy(java.util.Set.of(), java.util.Set.of(), true)))) {
            String viaProxy = "http://127.0.0.1:" + proxy.port() + "/v1/chat/completions";
            for (String policy : List.of("", ",\"privacy\":{\"jurisdictions\":[\"EU\"]}",
                    ",\"privacy\":{\"jurisdictions\":[\"local\"]}", ",\"provider\":{\"ignore\":[\"demo-node-simulated\"]}")) {
                HttpResponse<String> plaintext = post("/v1/chat/completions", ask + policy + "}");
                HttpResponse<String> proxied = send(HttpRequest.newBuilder(URI.create(viaProxy))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(ask + policy + "}")));
                assertThat(proxied.statusCode()).as("policy %s: %s", policy, proxied.body())
                        .isEqualTo(plaintext.statusCode());
                if (plaintext.statusCode() == 403) {
                    JsonNode inPlaintext = JSON.readTree(plaintext.body()).path("error").path("excluded").get(0);
                    JsonNode throughProxy = JSON.readTree(proxied.body()).path("error").path("excluded").get(0);
                    assertThat(throughProxy.path("constraint")).isEqualTo(inPlaintext.path("constraint"));
                    assertThat(throughProxy.path("route").asText()).isEqualTo("demo-node-simulated")
                            .isEqualTo(inPlaintext.path("route").asText());
                } else {
                    assertThat(plaintext.statusCode()).as(plaintext.body()).isEqualTo(200);
                }
            }
        }
    }

    @Test
    void chatCompletionAnswers() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions",
                "{\"model\":\"veil-demo-chat\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":\"Hello demo\"}]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        assertThat(response.headers().firstValue("x-veil-privacy-mode")).hasValueSatisfying(m -> assertThat(m).isIn("anonymized", "private", "tee"));
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("object").asText()).isEqualTo("chat.completion");
        String content = body.path("choices").path(0).path("message").path("content").asText();
        assertThat(content).isNotBlank();
        assertThat(body.path("choices").path(0).path("message").path("role").asText()).isEqualTo("assistant");
        JsonNode usage = body.path("usage");
        assertThat(usage.path("completion_tokens").asInt()).isBetween(1, 8);
        assertThat(usage.path("prompt_tokens").asInt()).isPositive();
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    }

    @Test
    void streamEndsWithDone() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions",
                "{\"model\":\"veil-demo-chat\",\"stream\":true,\"max_tokens\":6,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream please\"}]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/event-stream"));
        // The last events are [DONE] and then Veil's privacy receipt as an SSE comment (unsigned: not asked for).
        assertThat(response.body()).containsPattern("data: \\[DONE\\]\n\n: veil-receipt \\{[^\n]*\\}\n\n$");
        List<String> data = CompatSse.dataPayloads(response.body());
        assertThat(data).last().isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        List<JsonNode> events = new ArrayList<>();
        for (String payload : data.subList(0, data.size() - 1)) {
            JsonNode event = JSON.readTree(payload);
            events.add(event);
            assertThat(event.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(event.path("usage").isMissingNode() || event.path("usage").isNull())
                    .as("usage chunk not asked for: %s", payload).isTrue();
            text.append(event.path("choices").path(0).path("delta").path("content").asText(""));
        }
        assertThat(text.toString()).isNotBlank();
        assertThat(events).anySatisfy(e -> assertThat(e.path("choices").path(0).path("finish_reason").isTextual()).isTrue());
    }

    @Test
    void streamWithIncludeUsageEndsWithUsageThenDone() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions",
                "{\"model\":\"veil-demo-chat\",\"stream\":true,\"max_tokens\":4,\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream with usage\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = CompatSse.dataPayloads(response.body());
        assertThat(data).last().isEqualTo("[DONE]");
        JsonNode usageChunk = JSON.readTree(data.get(data.size() - 2));
        assertThat(usageChunk.path("choices")).isEmpty();
        assertThat(usageChunk.path("usage").path("completion_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void embeddingsAnswer() throws Exception {
        HttpResponse<String> response = post("/v1/embeddings",
                "{\"model\":\"veil-demo-embed\",\"input\":[\"alpha\",\"beta\",\"alpha\"]}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        JsonNode data = body.path("data");
        assertThat(data).hasSize(3);
        assertThat(data.path(0).path("embedding")).hasSize(64);
        assertThat(data.path(0).path("embedding")).as("equal texts give equal vectors").isEqualTo(data.path(2).path("embedding"));
        assertThat(data.path(0).path("embedding")).isNotEqualTo(data.path(1).path("embedding"));
        double norm = 0;
        for (JsonNode v : data.path(0).path("embedding")) {
            norm += v.asDouble() * v.asDouble();
        }
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isPositive();
    }

    @Test
    void modelsCarryPrivacyAndAreLabelledAsDemo() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(origin + "/v1/models"))
                .header("authorization", "Bearer " + key).GET());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode data = JSON.readTree(response.body()).path("data");
        List<String> ids = new ArrayList<>();
        data.forEach(m -> ids.add(m.path("id").asText()));
        assertThat(ids).containsExactlyInAnyOrder("veil-demo-chat", "veil-demo-embed", "veil-demo-e2ee");
        JsonNode e2ee = byId(data, "veil-demo-e2ee");
        assertThat(e2ee.path("privacy").path("mode").asText()).isEqualTo("e2ee");
        assertThat(e2ee.path("description").asText()).contains("SIMULATED");
        assertThat(e2ee.path("privacy").path("routes").path(0).path("policy").path("tee").asText()).isEqualTo("simulated");
        // Venice's model_spec fields, for clients written against Venice's API.
        assertThat(e2ee.path("model_spec").path("privacy").asText()).isEqualTo("private");
        assertThat(e2ee.path("model_spec").path("capabilities").path("supportsE2EE").asBoolean()).isTrue();
        assertThat(e2ee.path("model_spec").path("capabilities").path("supportsTeeAttestation").asBoolean()).isTrue();
        for (JsonNode model : data) {
            String id = model.path("id").asText();
            assertThat(model.path("object").asText()).isEqualTo("model");
            assertThat(model.path("owned_by").asText() + " " + model.path("description").asText())
                    .as("model %s is labelled as the demo", id).containsIgnoringCase("demo");
            JsonNode privacy = model.path("privacy");
            assertThat(privacy.isObject()).as("privacy object of %s", id).isTrue();
            assertThat(privacy.path("mode").asText()).isIn("anonymized", "private", "tee", "e2ee");
            assertThat(privacy.path("routes")).isNotEmpty();
            assertThat(privacy.path("routes").path(0).path("policy").isObject()).isTrue();
        }
        JsonNode chat = byId(data, "veil-demo-chat");
        assertThat(chat.path("owned_by").asText()).isEqualTo("veil-demo");
        assertThat(chat.path("description").asText()).contains("not a real model");
        // The weakest of its routes: a request may land on any of them unless its policy says otherwise.
        assertThat(chat.path("privacy").path("mode").asText()).isEqualTo("anonymized");
        assertThat(chat.path("model_spec").path("privacy").asText()).isEqualTo("anonymized");
        assertThat(chat.path("model_spec").path("capabilities").path("supportsE2EE").asBoolean()).isFalse();
        assertThat(chat.path("model_spec").path("capabilities").path("supportsTeeAttestation").asBoolean()).isFalse();
        assertThat(chat.path("endpoints").isArray()).isTrue();
        assertThat(chat.path("endpoints").toString()).contains("/v1/chat/completions");
        List<String> modes = new ArrayList<>();
        chat.path("privacy").path("routes").forEach(r -> modes.add(r.path("route").asText() + ":" + r.path("mode").asText()));
        assertThat(modes).containsExactly("demo-anonymized:anonymized", "demo-private:private", "demo-tee-simulated:tee");
        // Exactly as docs/api.md shows it (but for the start time).
        String doc = Files.readString(Path.of("..", "docs", "api.md"));
        int start = doc.indexOf("```json\n{\"id\": \"veil-demo-chat\"");
        assertThat(start).as("the model example in docs/api.md").isNotNegative();
        com.fasterxml.jackson.databind.node.ObjectNode documented = (com.fasterxml.jackson.databind.node.ObjectNode)
                JSON.readTree(doc.substring(start + 8, doc.indexOf("```", start + 8)));
        documented.set("created", chat.path("created"));
        assertThat(chat).isEqualTo(documented);
        assertThat(chat.path("privacy").path("routes").path(2).path("policy").path("tee").asText()).isEqualTo("simulated");
    }

    @Test
    void theOpenAiSdkWorksWithThePrintedBaseUrlAndKey() {
        com.openai.client.OpenAIClient client = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
                .baseUrl(origin + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(15)).build();
        try {
            com.openai.models.chat.completions.ChatCompletion reply = client.chat().completions().create(
                    com.openai.models.chat.completions.ChatCompletionCreateParams.builder()
                            .model("veil-demo-chat").maxCompletionTokens(5).addUserMessage("Hello").build());
            assertThat(reply.choices().get(0).message().content()).hasValueSatisfying(c -> assertThat(c).isNotBlank());
            assertThat(reply.usage().orElseThrow().completionTokens()).isEqualTo(5);

            // The SDK asks for base64 embeddings by default; the demo must answer in that encoding.
            com.openai.models.embeddings.CreateEmbeddingResponse embeddings = client.embeddings().create(
                    com.openai.models.embeddings.EmbeddingCreateParams.builder()
                            .model("veil-demo-embed").input("vector please").dimensions(16).build());
            List<Float> vector = embeddings.data().get(0).embedding();
            assertThat(vector).hasSize(16);
            double norm = 0;
            for (float f : vector) {
                norm += f * f;
            }
            assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        } finally {
            client.close();
        }
    }

    @Test
    void theOpenAiSdksResponsesApiWorksAgainstTheDemoWithAPolicy() {
        com.openai.client.OpenAIClient client = com.openai.client.okhttp.OpenAIOkHttpClient.builder()
                .baseUrl(origin + "/v1").apiKey(key).maxRetries(0).timeout(Duration.ofSeconds(15)).build();
        try {
            com.openai.models.responses.ResponseCreateParams params = com.openai.models.responses.ResponseCreateParams
                    .builder().model("veil-demo-chat").input("Hello").maxOutputTokens(6L)
                    .putAdditionalBodyProperty("privacy", com.openai.core.JsonValue.from(java.util.Map.of("min_mode", "tee")))
                    .build();
            var raw = client.responses().withRawResponse().create(params);
            assertThat(raw.headers().values("x-veil-route")).containsExactly("demo-tee-simulated");
            assertThat(raw.parse().usage().orElseThrow().outputTokens()).isEqualTo(6);
            StringBuilder text = new StringBuilder();
            boolean[] ended = new boolean[1];
            try (var stream = client.responses().createStreaming(params)) {
                stream.stream().forEach(event -> {
                    event.outputTextDelta().ifPresent(d -> text.append(d.delta()));
                    ended[0] |= event.isIncomplete() || event.isCompleted();
                });
            }
            assertThat(text.toString()).isNotBlank();
            assertThat(ended[0]).as("the stream ended with its terminal event").isTrue();
        } finally {
            client.close();
        }
    }

    @Test
    void usageShowsTheCallersOwnRequests() throws Exception {
        HttpResponse<String> chat = post("/v1/chat/completions",
                "{\"model\":\"veil-demo-chat\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"count\"}]}");
        assertThat(chat.statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        JsonNode entry = null;
        JsonNode report = null;
        while (entry == null && System.nanoTime() < deadline) {
            HttpResponse<String> usage = send(HttpRequest.newBuilder(URI.create(origin + "/v1/usage"))
                    .header("authorization", "Bearer " + key).GET());
            assertThat(usage.statusCode()).as(usage.body()).isEqualTo(200);
            report = JSON.readTree(usage.body());
            for (JsonNode e : report.path("data")) {
                if (e.path("model").asText().equals("veil-demo-chat")) {
                    entry = e;
                }
            }
            if (entry == null) {
                Thread.sleep(100);
            }
        }
        assertThat(entry).as("usage of veil-demo-chat in %s", report).isNotNull();
        assertThat(entry.path("requests").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(entry.path("completion_tokens").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(entry.path("cost_usd").asDouble()).isPositive();
        assertThat(report.path("object").asText()).isEqualTo("usage");
        assertThat(report.toString()).doesNotContain("count");
    }

    @Test
    void theDemoServesTheBatchApiAndTheBatchCommandRoundTripsClientSealedResults() throws Exception {
        Path masterKey = dataDir.resolve("store").resolve("master.key");
        assertThat(Files.getPosixFilePermissions(masterKey)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(demo.stdout()).contains("demo master key").contains("veil batch submit");

        Path input = dataDir.resolve("requests.jsonl");
        Files.writeString(input, "{\"custom_id\":\"one\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"placeholder\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n"
                + "{\"custom_id\":\"two\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"ho\"}]}}\n");
        CompatProcess.Result keygen = CompatProcess.run(dataDir, Duration.ofSeconds(30), "batch", "keygen", "--out",
                dataDir.resolve("mine.key").toString());
        assertThat(keygen.exit()).as(keygen.stderr()).isZero();
        assertThat(keygen.stdout()).contains("veil_client_public_key=");

        CompatProcess.Result submit = CompatProcess.run(dataDir, Duration.ofSeconds(60), "batch", "submit", input.toString(),
                "--model", "veil-demo-chat", "--gateway", origin, "--api-key", key, "--client-key",
                dataDir.resolve("mine.key.pub").toString(), "--wait");
        assertThat(submit.exit()).as(submit.stdout() + submit.stderr()).isZero();
        assertThat(submit.stdout()).contains("status=completed").contains("requests=2 completed=2 failed=0");
        assertThat(submit.stderr()).contains("[").contains("2/2");
        String batchId = submit.stdout().lines().filter(l -> l.startsWith("batch_id=")).findFirst().orElseThrow().substring(9);

        CompatProcess.Result noKey = CompatProcess.run(dataDir, Duration.ofSeconds(30), "batch", "results", batchId,
                "--gateway", origin, "--api-key", key);
        assertThat(noKey.exit()).isEqualTo(2);
        assertThat(noKey.stderr()).contains("--client-key");
        CompatProcess.Result results = CompatProcess.run(dataDir, Duration.ofSeconds(30), "batch", "results", batchId,
                "--gateway", origin, "--api-key", key, "--client-key", dataDir.resolve("mine.key").toString());
        assertThat(results.exit()).as(results.stderr()).isZero();
        List<String> out = results.stdout().lines().filter(l -> !l.isBlank()).toList();
        assertThat(out).hasSize(2);
        for (String line : out) {
            JsonNode n = JSON.readTree(line);
            assertThat(n.path("response").path("status_code").asInt()).isEqualTo(200);
            assertThat(n.path("response").path("body").path("object").asText()).isEqualTo("chat.completion");
        }
        CompatProcess.Result status = CompatProcess.run(dataDir, Duration.ofSeconds(30), "batch", "status", batchId,
                "--gateway", origin, "--api-key", key);
        assertThat(status.stdout()).contains("status=completed");
    }

    @Test
    void anAnswerStopsOnItsOwnUnlessMaxTokensCutsIt() throws Exception {
        JsonNode whole = JSON.readTree(post("/v1/chat/completions",
                "{\"model\":\"veil-demo-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body());
        // Typed client helpers (the Python SDK's .parse() and .stream()) fail on "length".
        assertThat(whole.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        JsonNode cut = JSON.readTree(post("/v1/chat/completions",
                "{\"model\":\"veil-demo-chat\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}").body());
        assertThat(cut.path("choices").path(0).path("finish_reason").asText()).isEqualTo("length");
        assertThat(cut.path("usage").path("completion_tokens").asInt()).isEqualTo(3);
    }

    @Test
    void aRestartedDemoReusesItsKeyAndTakesANodePort() throws Exception {
        Path keyFile = dataDir.resolve("store").resolve("demo-api-key");
        assertThat(Files.readString(keyFile).trim()).isEqualTo(key);
        assertThat(Files.getPosixFilePermissions(keyFile)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        int port = CompatProcess.freePort();
        int nodePort = CompatProcess.freePort();
        long activeBefore = activeKeys();
        try (CompatProcess again = CompatProcess.start(dataDir, "demo", "--port", Integer.toString(port),
                "--node-port", Integer.toString(nodePort), "--data-dir", dataDir.resolve("store").toString())) {
            Matcher m = again.awaitLine(KEY_LINE, Duration.ofSeconds(30));
            assertThat(m.group(1)).as("the same demo key, not a new active one per start").isEqualTo(key);
            assertThat(activeKeys()).isEqualTo(activeBefore);
            HttpResponse<String> attestation = send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/v1/attestation?model=veil-demo-e2ee&nonce=" + "ab".repeat(32))).header("authorization", "Bearer " + key).GET());
            assertThat(attestation.statusCode()).as(attestation.body()).isEqualTo(200);
            assertThat(again.stderr()).contains("127.0.0.1:" + nodePort);
        }
    }

    @Test
    void helpIsACommand() throws Exception {
        CompatProcess.Result help = CompatProcess.run(dataDir, Duration.ofSeconds(30), "help");
        assertThat(help.exit()).as(help.stderr()).isZero();
        assertThat(help.stdout()).contains("Commands:").contains("demo").contains("serve").contains("keys");
        CompatProcess.Result keysHelp = CompatProcess.run(dataDir, Duration.ofSeconds(30), "help", "keys");
        assertThat(keysHelp.exit()).isZero();
        assertThat(keysHelp.stdout()).contains("create");
    }

    @Test
    void anUnknownPathListsEveryServedPath() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(origin + "/v1/nope"))
                .header("authorization", "Bearer " + key).GET());
        assertThat(response.statusCode()).isEqualTo(404);
        String message = JSON.readTree(response.body()).path("error").path("message").asText();
        assertThat(message).contains("/v1/chat/completions", "/v1/models/{model}", "/v1/attestation", "/v1/files/{file_id}/content",
                "/v1/batches/{batch_id}/cancel", "/v1/receipts/key", "/admin/keys", "/health", "/metrics");
    }

    private static long activeKeys() throws Exception {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("store").resolve("veil.db"));
             java.sql.ResultSet rows = c.createStatement().executeQuery("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL")) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void wrongKeyIsRefused() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(origin + "/v1/models"))
                .header("authorization", "Bearer " + key + "x").GET());
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(response.body()).path("error").path("code").asText()).isEqualTo("invalid_api_key");
    }

    @Test
    void aSecondDemoOnTheSamePortFailsWithAHint() throws Exception {
        int port = Integer.parseInt(origin.substring(origin.lastIndexOf(':') + 1));
        Path other = Files.createDirectories(dataDir.resolve("second"));
        CompatProcess.Result result = CompatProcess.run(other, Duration.ofSeconds(30), "demo", "--port",
                Integer.toString(port), "--data-dir", other.resolve("store").toString());
        assertThat(result.exit()).as("stdout:\n%s\nstderr:\n%s", result.stdout(), result.stderr()).isNotZero();
        assertThat(result.stderr()).contains("--port");
        assertThat(result.stdout()).doesNotContain("VEIL_API_KEY=");
    }

    private static JsonNode byId(JsonNode data, String id) {
        for (JsonNode m : data) {
            if (m.path("id").asText().equals(id)) {
                return m;
            }
        }
        throw new AssertionError("no model " + id);
    }
}
