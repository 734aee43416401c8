package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.PermissionDeniedException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFormatTextJsonSchemaConfig;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseTextConfig;
import dev.veil.store.RequestRecord;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * OpenAI's Responses API through Veil with the official openai-java client ({@code responses().create} and
 * {@code createStreaming}), in front of a fake upstream that speaks it as OpenAI does ({@link FakeResponses}):
 * text, tools and structured output, streamed and whole; {@code store} forced false and said so; identity and
 * routing fields stripped; the stateless refusals; usage from {@code response.completed}; a cut stream ending with
 * the Responses API's own error event; unknown event types passed through; policy refusals; a model whose upstreams
 * speak only chat completions refused by name.
 */
@Timeout(30)
class ResponsesApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;

    private static GatewayFixture fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.start(dataDir, 3_000, "    apis: [chat, responses]\n", "", Map.of());
        client = fixture.openAiClient(fixture.apiKey);
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    @BeforeEach
    void resetUpstream() {
        fixture.upstream.reset();
    }

    private static ResponseCreateParams.Builder params(String input) {
        return ResponseCreateParams.builder().model("test-chat").input(input);
    }

    @Test
    void aWholeResponseComesBackWithItsUsageAndStoreForcedFalse() throws Exception {
        HttpResponseFor<Response> raw = client.responses().withRawResponse().create(params("Hello there")
                .store(true)
                .user("user-4711").safetyIdentifier("safety-4711").promptCacheKey("cache-4711")
                .putAdditionalBodyProperty("privacy", JsonValue.from(Map.of("zdr", true)))
                .build());
        Response response = raw.parse();
        assertThat(raw.headers().values("x-veil-store")).containsExactly("false");
        assertThat(raw.headers().values("x-veil-route")).containsExactly("fake-zdr");
        assertThat(raw.headers().values("x-veil-receipt")).hasSize(1);
        assertThat(response.output()).hasSize(1);
        assertThat(response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text())
                .isEqualTo("echo: Hello there");
        assertThat(response.usage().orElseThrow().inputTokens()).isEqualTo(FakeResponses.INPUT_TOKENS);
        assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(3);
        assertThat(response.model().asString()).as("the model the client asked for").isEqualTo("test-chat");

        FakeUpstream.Recorded sent = fixture.upstream.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/responses");
        JsonNode body = sent.json();
        assertThat(body.path("store").asBoolean(true)).as("store forced false").isFalse();
        assertThat(body.path("model").asText()).isEqualTo("upstream-chat");
        assertThat(body.has("user") || body.has("safety_identifier") || body.has("prompt_cache_key")
                || body.has("privacy")).as("identity and routing fields stripped").isFalse();
        assertThat(sent.body()).doesNotContain("4711");

        RequestRecord row = loggedRequest(raw.requestId().orElseThrow());
        assertThat(row.endpoint()).isEqualTo("responses");
        assertThat(row.promptTokens()).isEqualTo(FakeResponses.INPUT_TOKENS);
        assertThat(row.completionTokens()).isEqualTo(3);
        assertThat(row.usageEstimated()).isFalse();
        assertThat(row.costMicros()).as("billed at the route's price").isPositive();
    }

    @Test
    void aStreamDeliversTypedEventsAndIsBilledFromResponseCompleted() throws Exception {
        StringBuilder text = new StringBuilder();
        Response completed = null;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                params("one two three four").build())) {
            for (ResponseStreamEvent event : stream.stream().toList()) {
                event.outputTextDelta().ifPresent(delta -> text.append(delta.delta()));
                if (event.isCompleted()) {
                    completed = event.completed().orElseThrow().response();
                }
                assertThat(event.isError()).isFalse();
            }
        }
        assertThat(text.toString()).isEqualTo("echo: one two three four");
        assertThat(completed).isNotNull();
        assertThat(completed.model().asString()).as("the model the client asked for, not the route's").isEqualTo("test-chat");
        long outputTokens = completed.usage().orElseThrow().outputTokens();
        assertThat(outputTokens).isEqualTo(5);
        assertThat(fixture.upstream.lastRequest().json().has("stream_options"))
                .as("no stream_options injected: Responses streams always end with their usage").isFalse();
        AtomicReference<RequestRecord> row = new AtomicReference<>();
        Eventually.await(Duration.ofSeconds(10), "the stream's row in the request log", () -> {
            fixture.gateway.store().requests().recentForKey(fixture.keyId, 1_000).stream()
                    .filter(r -> r.endpoint().equals("responses") && r.completionTokens() == 5).findFirst()
                    .ifPresent(row::set);
            return row.get() != null;
        });
        assertThat(row.get().promptTokens()).isEqualTo(FakeResponses.INPUT_TOKENS);
        assertThat(row.get().status()).isEqualTo(200);
        assertThat(row.get().usageEstimated()).isFalse();
    }

    @Test
    void toolsAreCalledWholeAndStreamed() throws Exception {
        FunctionTool weather = FunctionTool.builder().name("get_weather").strict(true)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                        .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                        .build())
                .build();
        Response whole = client.responses().create(params("Weather in Paris?").addTool(weather).build());
        ResponseFunctionToolCall call = whole.output().get(0).functionCall().orElseThrow();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(JSON.readTree(call.arguments()).path("city").asText()).isEqualTo("Paris");
        assertThat(fixture.upstream.lastRequest().json().path("tools").path(0).path("name").asText())
                .isEqualTo("get_weather");

        StringBuilder arguments = new StringBuilder();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(
                params("Weather in Paris?").addTool(weather).build())) {
            stream.stream().forEach(e -> e.functionCallArgumentsDelta().ifPresent(d -> arguments.append(d.delta())));
        }
        assertThat(JSON.readTree(arguments.toString()).path("city").asText()).isEqualTo("Paris");
    }

    @Test
    void structuredOutputReachesTheUpstreamAndComesBackAsJson() throws Exception {
        ResponseTextConfig format = ResponseTextConfig.builder().format(ResponseFormatTextJsonSchemaConfig.builder()
                .name("answer").strict(true)
                .schema(ResponseFormatTextJsonSchemaConfig.Schema.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("answer", Map.of("type", "string"))))
                        .putAdditionalProperty("required", JsonValue.from(List.of("answer")))
                        .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                        .build())
                .build()).build();
        Response response = client.responses().create(params("Say hi").text(format).build());
        String text = response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text();
        assertThat(JSON.readTree(text).path("answer").asText()).isEqualTo("echo: Say hi");
        JsonNode sent = fixture.upstream.lastRequest().json().path("text").path("format");
        assertThat(sent.path("type").asText()).isEqualTo("json_schema");
        assertThat(sent.path("schema").path("required").path(0).asText()).isEqualTo("answer");
    }

    @Test
    void statefulRequestsAreRefusedAsStateless() {
        BadRequestException previous = catchThrowableOfType(BadRequestException.class, () -> client.responses().create(
                params("again").previousResponseId("resp_123").build()));
        assertThat(previous.code()).contains("stateless_gateway");
        assertThat(previous.param()).contains("previous_response_id");
        assertThat(previous.getMessage()).contains("stateless").contains("input");

        BadRequestException background = catchThrowableOfType(BadRequestException.class, () -> client.responses().create(
                params("later").background(true).build()));
        assertThat(background.param()).contains("background");

        BadRequestException retrieve = catchThrowableOfType(BadRequestException.class,
                () -> client.responses().retrieve("resp_123"));
        assertThat(retrieve.code()).contains("stateless_gateway");
        BadRequestException delete = catchThrowableOfType(BadRequestException.class,
                () -> client.responses().delete("resp_123"));
        assertThat(delete.code()).contains("stateless_gateway");
        assertThat(fixture.upstream.requests()).as("nothing reached the upstream").isEmpty();
    }

    @Test
    void aStreamCutBeforeResponseCompletedEndsWithTheResponsesErrorEvent() {
        fixture.upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        List<ResponseStreamEvent> events;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params("cut me").build())) {
            events = stream.stream().toList();
        }
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isError()).as("last event %s", last).isTrue();
        assertThat(last.error().orElseThrow().code()).contains("upstream_stream_truncated");
        assertThat(last.error().orElseThrow().sequenceNumber()).isEqualTo(events.size() - 1);
        assertThat(events).noneMatch(ResponseStreamEvent::isCompleted);

        fixture.upstream.mode(FakeUpstream.Mode.RESET_MID_STREAM);
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params("reset").build())) {
            events = stream.stream().toList();
        }
        assertThat(events.get(events.size() - 1).error().orElseThrow().code()).contains("upstream_stream_interrupted");
    }

    @Test
    void unknownEventTypesPassThroughAndTheReceiptClosesTheStream() {
        fixture.upstream.extraEventType("response.some_future_event");
        HttpResponse<String> raw = fixture.post("/v1/responses",
                "{\"model\":\"test-chat\",\"input\":\"Hello\",\"stream\":true}");
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().firstValue("x-veil-store")).contains("false");
        String body = raw.body();
        assertThat(body).contains("event: response.some_future_event\n");
        assertThat(body).contains("\"type\":\"response.some_future_event\"");
        assertThat(body).doesNotContain("[DONE]");
        int completed = body.indexOf("event: response.completed");
        int receipt = body.indexOf(": veil-receipt ");
        assertThat(completed).isPositive();
        assertThat(receipt).isGreaterThan(completed);
        List<String> types = body.lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7))
                .collect(Collectors.toList());
        assertThat(types.get(0)).isEqualTo("response.created");
        assertThat(types.get(types.size() - 1)).isEqualTo("response.completed");
    }

    @Test
    void aPolicyNoRouteMeetsIsRefusedWithTheTypedError() {
        PermissionDeniedException refused = catchThrowableOfType(PermissionDeniedException.class, () -> client.responses()
                .create(params("hi").putAdditionalBodyProperty("privacy",
                        JsonValue.from(Map.of("min_mode", "e2ee"))).build()));
        assertThat(refused.type()).contains("privacy_policy_violation");
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void whatCannotBeTranslatedForAChatOnlyUpstreamIsRefusedByName() {
        HttpResponse<String> raw = fixture.post("/v1/responses", "{\"model\":\"test-unreachable\",\"input\":\"Hello\","
                + "\"tools\":[{\"type\":\"web_search\"}]}");
        assertThat(raw.statusCode()).isEqualTo(400);
        assertThat(raw.body()).contains("\"code\":\"untranslatable_request\"").contains("\"param\":\"tools[0].type\"")
                .contains("/v1/responses");
        HttpResponse<String> include = fixture.post("/v1/responses", "{\"model\":\"test-unreachable\",\"input\":\"Hi\","
                + "\"include\":[\"reasoning.encrypted_content\"]}");
        assertThat(include.body()).contains("\"param\":\"include\"");
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void undocumentedFieldsAndAChatBodyAreRefusedNamingTheField() {
        HttpResponse<String> chatBody = fixture.post("/v1/responses",
                "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(chatBody.statusCode()).isEqualTo(400);
        assertThat(chatBody.body()).contains("\"param\":\"messages\"").contains("unknown_parameter");
        HttpResponse<String> responsesToChat = fixture.post("/v1/chat/completions",
                "{\"model\":\"test-chat\",\"input\":\"hi\"}");
        assertThat(responsesToChat.statusCode()).isEqualTo(400);
        assertThat(responsesToChat.body()).contains("\"param\":\"input\"");
    }

    @Test
    void modelsListTheEndpointsTheirUpstreamsSpeakAndVeniceFields() throws Exception {
        JsonNode data = JSON.readTree(fixture.get("/v1/models").body()).path("data");
        JsonNode chat = null;
        JsonNode unreachable = null;
        for (JsonNode model : data) {
            if (model.path("id").asText().equals("test-chat")) {
                chat = model;
            } else if (model.path("id").asText().equals("test-unreachable")) {
                unreachable = model;
            }
        }
        assertThat(chat.path("endpoints").toString()).contains("/v1/responses", "/v1/chat/completions");
        assertThat(unreachable.path("endpoints").toString()).as("through translation")
                .contains("/v1/chat/completions", "/v1/responses");
        assertThat(chat.path("model_spec").path("privacy").asText()).as("zero retention, no training").isEqualTo("private");
        assertThat(unreachable.path("model_spec").path("privacy").asText()).as("undeclared policy").isEqualTo("anonymized");
        assertThat(chat.path("model_spec").path("capabilities").path("supportsE2EE").isBoolean()).isTrue();
    }

    private static RequestRecord loggedRequest(String requestId) throws Exception {
        AtomicReference<RequestRecord> row = new AtomicReference<>();
        Eventually.await(Duration.ofSeconds(10), "the request's row in the request log", () -> {
            fixture.gateway.store().requests().recentForKey(fixture.keyId, 1_000).stream()
                    .filter(r -> r.requestId().equals(requestId)).findFirst().ifPresent(row::set);
            return row.get() != null;
        });
        assertThat(row.get().status()).isEqualTo(200);
        return row.get();
    }
}
