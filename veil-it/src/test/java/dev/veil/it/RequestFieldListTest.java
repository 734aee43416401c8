package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import dev.veil.protocol.policy.RequestFields;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one list of what may leave Veil (docs/privacy.md, "What leaves toward providers"): a request carrying every
 * top-level field of OpenAI's request schema, plus every routing field, reaches the recording upstream with exactly
 * the documented forwarded fields, on the plain path and on a batch line; identity and storage fields go only where the
 * operator allows them per route, and the receipt says so; {@code store} is always {@code false}.
 *
 * <p>Source of the field lists below: the OpenAI API reference, request body (top-level parameters) of "Create chat
 * completion" ({@code POST /v1/chat/completions}, https://platform.openai.com/docs/api-reference/chat/create),
 * "Create completion" ({@code POST /v1/completions}, legacy, .../completions/create) and "Create embeddings"
 * ({@code POST /v1/embeddings}, .../embeddings/create). They are written out here, not taken from
 * {@link RequestFields}, so the test checks the code against the schema.
 */
@Timeout(120)
class RequestFieldListTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EMAIL = "alice.fieldlist@example.com";

    /** Every top-level field of the chat completions request, each with a value OpenAI's schema accepts. */
    static final Map<String, String> CHAT_SCHEMA = ordered(
            "model", "\"test-chat\"",
            "messages", "[{\"role\":\"user\",\"content\":\"hello fields\"}]",
            "audio", "{\"voice\":\"alloy\",\"format\":\"wav\"}",
            "frequency_penalty", "0.5",
            "function_call", "\"auto\"",
            "functions", "[{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}]",
            "logit_bias", "{\"50256\":-100}",
            "logprobs", "true",
            "max_completion_tokens", "64",
            "max_tokens", "64",
            "metadata", "{\"email\":\"" + EMAIL + "\"}",
            "modalities", "[\"text\"]",
            "n", "1",
            "parallel_tool_calls", "true",
            "prediction", "{\"type\":\"content\",\"content\":\"x\"}",
            "presence_penalty", "0.1",
            "prompt_cache_key", "\"cache-" + EMAIL + "\"",
            "reasoning_effort", "\"low\"",
            "response_format", "{\"type\":\"text\"}",
            "safety_identifier", "\"safety-" + EMAIL + "\"",
            "seed", "7",
            "service_tier", "\"auto\"",
            "stop", "[\"\\n\"]",
            "store", "true",
            "stream", "false",
            "stream_options", "{\"include_usage\":true}",
            "temperature", "0.3",
            "tool_choice", "\"auto\"",
            "tools", "[{\"type\":\"function\",\"function\":{\"name\":\"g\"}}]",
            "top_logprobs", "2",
            "top_p", "0.9",
            "user", "\"" + EMAIL + "\"",
            "verbosity", "\"low\"",
            "web_search_options", "{}");

    private static final Map<String, String> COMPLETIONS_SCHEMA = ordered(
            "model", "\"test-chat\"",
            "prompt", "\"hello fields\"",
            "best_of", "1",
            "echo", "false",
            "frequency_penalty", "0.5",
            "logit_bias", "{\"50256\":-100}",
            "logprobs", "2",
            "max_tokens", "16",
            "n", "1",
            "presence_penalty", "0.1",
            "seed", "7",
            "stop", "\"\\n\"",
            "stream", "false",
            "stream_options", "{\"include_usage\":true}",
            "suffix", "\"end\"",
            "temperature", "0.3",
            "top_p", "0.9",
            "user", "\"" + EMAIL + "\"");

    private static final Map<String, String> EMBEDDINGS_SCHEMA = ordered(
            "model", "\"test-embed\"",
            "input", "\"hello fields\"",
            "dimensions", "3",
            "encoding_format", "\"float\"",
            "user", "\"" + EMAIL + "\"");

    /** Veil's routing fields in all three dialects, each satisfiable by the fixture's zero-retention route. */
    static final Map<String, String> ROUTING = ordered(
            "privacy", "{\"zdr\":true}",
            "provider", "{\"data_collection\":\"deny\"}",
            "models", "[\"test-chat\"]",
            "data_policy", "{\"training_allowed\":false}",
            "providers", "{\"require\":[\"zero-retention\"]}");

    /** Never forwarded by default. */
    static final Set<String> REMOVED = Set.of("user", "safety_identifier", "metadata", "prompt_cache_key");

    /** Routes whose operator allows more: identity fields and an engine's own parameter; one refusing store. */
    private static final String EXTRA_MODELS = """
              - id: fields-open
                routes:
                  - name: open-route
                    upstream: fake
                    model: upstream-open
                    policy: { trains: true, retention_days: 30 }
                    forward_fields: [metadata, user, top_k]
              - id: fields-no-store
                routes:
                  - name: no-store
                    upstream: fake
                    model: upstream-nostore
                    policy: { trains: false, retention_days: 30 }
                    store: refuse
            """;

    @TempDir
    static Path dataDir;
    static GatewayFixture fixture;
    static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.withBatches(dataDir, EXTRA_MODELS);
        client = fixture.openAiClient(fixture.apiKey);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @BeforeEach
    void reset() {
        fixture.upstream.reset();
    }

    @Test
    void theCodesListsAreOpenAisDocumentedSchemas() {
        assertThat(RequestFields.CHAT_COMPLETIONS).containsExactlyInAnyOrderElementsOf(CHAT_SCHEMA.keySet());
        assertThat(RequestFields.COMPLETIONS).containsExactlyInAnyOrderElementsOf(COMPLETIONS_SCHEMA.keySet());
        assertThat(RequestFields.EMBEDDINGS).containsExactlyInAnyOrderElementsOf(EMBEDDINGS_SCHEMA.keySet());
        assertThat(RequestFields.REMOVED_BY_DEFAULT).containsExactlyInAnyOrderElementsOf(REMOVED);
    }

    @Test
    void everyChatFieldSentTheUpstreamReceivesExactlyTheForwardedOnes() throws Exception {
        Map<String, String> sent = new LinkedHashMap<>(CHAT_SCHEMA);
        sent.putAll(ROUTING);
        HttpResponse<String> response = fixture.post("/v1/chat/completions", object(sent));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertForwarded(fixture.upstream.lastRequest(), CHAT_SCHEMA, "upstream-chat");
    }

    @Test
    void everyCompletionsFieldSentTheUpstreamReceivesExactlyTheForwardedOnes() throws Exception {
        Map<String, String> sent = new LinkedHashMap<>(COMPLETIONS_SCHEMA);
        sent.putAll(ROUTING);
        HttpResponse<String> response = fixture.post("/v1/completions", object(sent));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertForwarded(fixture.upstream.lastRequest(), COMPLETIONS_SCHEMA, "upstream-chat");
    }

    @Test
    void everyEmbeddingsFieldSentTheUpstreamReceivesExactlyTheForwardedOnes() throws Exception {
        Map<String, String> sent = new LinkedHashMap<>(EMBEDDINGS_SCHEMA);
        sent.put("privacy", "{\"no_training\":true}");
        HttpResponse<String> response = fixture.post("/v1/embeddings", object(sent));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertForwarded(fixture.upstream.lastRequest(), EMBEDDINGS_SCHEMA, "upstream-embed");
    }

    @Test
    void aBatchLineFollowsTheSameList() throws Exception {
        Map<String, String> body = new LinkedHashMap<>(CHAT_SCHEMA);
        body.remove("stream_options"); // a batch line cannot stream
        body.putAll(ROUTING);
        String jsonl = "{\"custom_id\":\"every-field\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + object(body) + "}\n";
        Batch done = BatchApiTest.await(client, client.batches().create(BatchCreateParams.builder()
                .inputFileId(BatchApiTest.upload(client, jsonl).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(1);
        Map<String, String> expected = new LinkedHashMap<>(CHAT_SCHEMA);
        expected.remove("stream_options");
        assertForwarded(fixture.upstream.lastRequest(), expected, "upstream-chat");
    }

    @Test
    void storeTrueIsNeverForwardedAndMetadataAndCacheKeyStayBehind() throws Exception {
        // The finding: store: true reached an OpenAI route labelled zero-retention; metadata carried an e-mail.
        HttpResponse<String> response = fixture.post("/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":"
                + "[{\"role\":\"user\",\"content\":\"hi\"}],\"store\":true,\"metadata\":{\"email\":\"" + EMAIL + "\"},"
                + "\"prompt_cache_key\":\"" + EMAIL + "\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        FakeUpstream.Recorded seen = fixture.upstream.lastRequest();
        assertThat(seen.json().get("store").booleanValue()).isFalse();
        assertThat(seen.body()).doesNotContain(EMAIL);
        assertThat(response.headers().firstValue("x-veil-receipt").orElseThrow()).doesNotContain("operator_forwarded_fields");
    }

    @Test
    void anOperatorAllowedFieldGoesOnlyToItsRouteAndTheReceiptSaysSo() throws Exception {
        String body = "{\"model\":\"fields-open\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"store\":true,"
                + "\"metadata\":{\"team\":\"a\"},\"user\":\"u-1\",\"safety_identifier\":\"s-1\",\"prompt_cache_key\":\"k\","
                + "\"top_k\":5}";
        HttpResponse<String> response = fixture.post("/v1/chat/completions", body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode seen = fixture.upstream.lastRequest().json();
        assertThat(names(seen)).containsExactlyInAnyOrder("model", "messages", "store", "metadata", "user", "top_k");
        assertThat(seen.get("store").booleanValue()).isFalse();
        JsonNode receipt = JSON.readTree(response.headers().firstValue("x-veil-receipt").orElseThrow());
        assertThat(receipt.get("operator_forwarded_fields")).isEqualTo(JSON.readTree("[\"metadata\",\"top_k\",\"user\"]"));

        // top_k is allowed on fields-open's route only: elsewhere it is an unknown field, as OpenAI answers it.
        fixture.upstream.reset();
        HttpResponse<String> unknown = fixture.post("/v1/chat/completions",
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_k\":5,\"top_z\":1}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(unknown.body()).path("error").path("code").asText()).isEqualTo("unknown_parameter");
        assertThat(JSON.readTree(unknown.body()).path("error").path("param").asText()).isEqualTo("top_z");
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void aRouteConfiguredToRefuseStoreIsExcludedWithATypedRefusal() throws Exception {
        String ask = "{\"model\":\"fields-no-store\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"store\":";
        HttpResponse<String> refused = fixture.post("/v1/chat/completions", ask + "true}");
        assertThat(refused.statusCode()).isEqualTo(403);
        JsonNode error = JSON.readTree(refused.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("no_compliant_route");
        assertThat(error.path("excluded").get(0).path("constraint").asText()).isEqualTo("store");
        assertThat(fixture.upstream.requests()).isEmpty();

        HttpResponse<String> served = fixture.post("/v1/chat/completions", ask + "false}");
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(fixture.upstream.lastRequest().json().get("store").booleanValue()).isFalse();
    }

    /** The upstream got exactly the schema's fields minus the removed ones, each as sent, with model and store rewritten. */
    static void assertForwarded(FakeUpstream.Recorded seen, Map<String, String> schema, String upstreamModel)
            throws Exception {
        JsonNode body = seen.json();
        Set<String> expected = new TreeSet<>(schema.keySet());
        expected.removeAll(REMOVED);
        assertThat(names(body)).as(seen.body()).containsExactlyInAnyOrderElementsOf(expected);
        for (String field : expected) {
            switch (field) {
                case "model" -> assertThat(body.get(field).asText()).isEqualTo(upstreamModel);
                case "store" -> assertThat(body.get(field).booleanValue()).isFalse();
                default -> assertThat(body.get(field)).as(field).isEqualTo(JSON.readTree(schema.get(field)));
            }
        }
        assertThat(seen.body()).doesNotContain(EMAIL);
    }

    private static Set<String> names(JsonNode object) {
        Set<String> out = new TreeSet<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    static String object(Map<String, String> fields) {
        StringBuilder out = new StringBuilder("{");
        fields.forEach((name, value) -> out.append(out.length() > 1 ? "," : "").append('"').append(name).append("\":")
                .append(value));
        return out.append('}').toString();
    }

    private static Map<String, String> ordered(String... pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }
}
