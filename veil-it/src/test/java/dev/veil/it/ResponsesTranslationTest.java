package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFormatTextJsonSchemaConfig;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ResponseTextConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/responses} for an upstream that speaks only chat completions (the fixture's default): Veil
 * translates the request to {@code /chat/completions} and the answer back, whole and streamed (synthesising the
 * Responses event sequence), with tools and structured output, through the official openai-java client; what has no
 * chat equivalent is refused by name.
 */
@Timeout(30)
class ResponsesTranslationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;

    private static GatewayFixture fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.start(dataDir);
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
    void aWholeResponseIsTranslatedBothWays() throws Exception {
        Response response = client.responses().create(params("Hello there").instructions("Be brief.")
                .maxOutputTokens(50L).temperature(0.5).user("user-4711").store(true).build());
        String text = response.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text();
        assertThat(text).isEqualTo("echo: Hello there");
        assertThat(response.usage().orElseThrow().inputTokens()).isEqualTo(11);
        assertThat(response.usage().orElseThrow().outputTokens()).isEqualTo(3);
        assertThat(response.model().asString()).isEqualTo("test-chat");

        FakeUpstream.Recorded sent = fixture.upstream.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/chat/completions");
        JsonNode body = sent.json();
        assertThat(body.path("model").asText()).isEqualTo("upstream-chat");
        assertThat(body.path("messages").path(0).path("role").asText()).isEqualTo("system");
        assertThat(body.path("messages").path(0).path("content").asText()).isEqualTo("Be brief.");
        assertThat(body.path("messages").path(1).path("content").asText()).isEqualTo("Hello there");
        assertThat(body.path("max_completion_tokens").asInt()).isEqualTo(50);
        assertThat(body.path("store").asBoolean(true)).isFalse();
        assertThat(body.has("input") || body.has("instructions") || body.has("user")).isFalse();
    }

    @Test
    void aStreamIsSynthesisedAsTheResponsesEventSequence() {
        StringBuilder text = new StringBuilder();
        List<ResponseStreamEvent> events;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params("one two three").build())) {
            events = stream.stream().toList();
        }
        events.forEach(e -> e.outputTextDelta().ifPresent(d -> text.append(d.delta())));
        assertThat(text.toString()).isEqualTo("echo: one two three");
        assertThat(events.get(0).isCreated()).isTrue();
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.isCompleted()).isTrue();
        Response completed = last.completed().orElseThrow().response();
        assertThat(completed.usage().orElseThrow().inputTokens()).isEqualTo(11);
        assertThat(completed.output().get(0).message().orElseThrow().content().get(0).outputText().orElseThrow().text())
                .isEqualTo("echo: one two three");
        assertThat(last.completed().orElseThrow().sequenceNumber()).as("sequence numbers count every event from 0")
                .isEqualTo(events.size() - 1);
        JsonNode sent = fixture.upstream.lastRequest().json();
        assertThat(sent.path("stream").asBoolean()).isTrue();
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void aStreamWithoutUpstreamUsageIsCompletedWithVeilsCount() {
        fixture.upstream.mode(FakeUpstream.Mode.NO_USAGE);
        Response completed = null;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params("count me").build())) {
            for (ResponseStreamEvent event : stream.stream().toList()) {
                if (event.isCompleted()) {
                    completed = event.completed().orElseThrow().response();
                }
            }
        }
        assertThat(completed).isNotNull();
        assertThat(completed.usage().orElseThrow().outputTokens()).isPositive();
        assertThat(completed.usage().orElseThrow().inputTokens()).isPositive();
    }

    @Test
    void toolsAndTheirResultsAreTranslated() throws Exception {
        FunctionTool weather = FunctionTool.builder().name("get_weather").strict(true)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .build())
                .build();
        fixture.upstream.custom((request, body) -> request.response().putHeader("content-type", "application/json")
                .end("{\"id\":\"chatcmpl-t\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"upstream-chat\","
                        + "\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
                        + "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                        + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}}],"
                        + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":7,\"total_tokens\":27}}"));
        Response response = client.responses().create(params("Weather in Paris?").addTool(weather).build());
        ResponseFunctionToolCall call = response.output().get(0).functionCall().orElseThrow();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(call.callId()).isEqualTo("call_1");
        assertThat(JSON.readTree(call.arguments()).path("city").asText()).isEqualTo("Paris");
        JsonNode tools = fixture.upstream.lastRequest().json().path("tools");
        assertThat(tools.path(0).path("type").asText()).isEqualTo("function");
        assertThat(tools.path(0).path("function").path("name").asText()).isEqualTo("get_weather");

        // The next turn: the call and its output go back as chat's assistant tool_calls and a tool message.
        HttpResponse<String> next = fixture.post("/v1/responses", "{\"model\":\"test-chat\",\"input\":["
                + "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
                + "{\"type\":\"function_call\",\"call_id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":\"{}\"},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"call_1\",\"output\":\"sunny\"}]}");
        assertThat(next.statusCode()).isEqualTo(200);
        JsonNode messages = fixture.upstream.lastRequest().json().path("messages");
        assertThat(messages.path(1).path("tool_calls").path(0).path("id").asText()).isEqualTo("call_1");
        assertThat(messages.path(2).path("role").asText()).isEqualTo("tool");
        assertThat(messages.path(2).path("content").asText()).isEqualTo("sunny");
    }

    @Test
    void structuredOutputBecomesResponseFormat() {
        ResponseTextConfig format = ResponseTextConfig.builder().format(ResponseFormatTextJsonSchemaConfig.builder()
                .name("answer").strict(true)
                .schema(ResponseFormatTextJsonSchemaConfig.Schema.builder()
                        .putAdditionalProperty("type", JsonValue.from("object")).build())
                .build()).build();
        client.responses().create(params("Say hi").text(format).build());
        JsonNode responseFormat = fixture.upstream.lastRequest().json().path("response_format");
        assertThat(responseFormat.path("type").asText()).isEqualTo("json_schema");
        assertThat(responseFormat.path("json_schema").path("name").asText()).isEqualTo("answer");
        assertThat(responseFormat.path("json_schema").path("schema").path("type").asText()).isEqualTo("object");
    }

    @Test
    void aCutStreamEndsWithTheResponsesErrorEvent() {
        fixture.upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        List<ResponseStreamEvent> events;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params("cut me").build())) {
            events = stream.stream().toList();
        }
        ResponseStreamEvent last = events.get(events.size() - 1);
        assertThat(last.error().orElseThrow().code()).contains("upstream_stream_truncated");
        assertThat(last.error().orElseThrow().sequenceNumber()).isEqualTo(events.size() - 1);
    }

    @Test
    void whatHasNoChatEquivalentIsRefusedByName() {
        BadRequestException refused = catchThrowableOfType(BadRequestException.class, () -> client.responses().create(
                params("hi").putAdditionalBodyProperty("tools", JsonValue.from(List.of(Map.of("type", "web_search"))))
                        .build()));
        assertThat(refused.code()).contains("untranslatable_request");
        assertThat(refused.param()).contains("tools[0].type");
        assertThat(fixture.upstream.requests()).isEmpty();
    }
}
