package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.AnthropicServiceException;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.OverloadedException;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.ErrorType;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.Metadata;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/messages} against a running gateway with the official Anthropic Java client: natively to a faithful
 * fake of Anthropic's API ({@code apis: [messages]}) and translated to a fake OpenAI-compatible upstream; streams and
 * whole answers, system prompts, tools, usage, identity stripping, errors in Anthropic's shape (a Veil policy refusal
 * included), and the bad inputs of issue 15.
 */
@Timeout(120)
class MessagesApiTest {

    static final String ANTHROPIC_SECRET = "anthropic-upstream-credential-7e2f";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dataDir;

    static FakeUpstream openAi;
    static FakeAnthropicUpstream anthropic;
    static Gateway gateway;
    static String apiKey;
    static AnthropicClient client;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static String yaml(String openAiUrl, String anthropicUrl, Path dataDir) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                store:
                  data_dir: %s
                routing:
                  max_attempts: 1
                upstreams:
                  - name: openai
                    base_url: %s
                    api_key_env: FAKE_UPSTREAM_KEY
                    idle_timeout_ms: 3000
                  - name: anthropic
                    base_url: %s
                    apis: [messages]
                    api_key_env: ANTHROPIC_UPSTREAM_KEY
                    idle_timeout_ms: 3000
                  - name: both
                    base_url: %s
                    apis: [chat, messages]
                    api_key_env: ANTHROPIC_UPSTREAM_KEY
                    idle_timeout_ms: 3000
                models:
                  - id: claude-native
                    routes:
                      - name: anthropic-eu
                        upstream: anthropic
                        model: upstream-claude
                        price: { input_per_million: 3.0, output_per_million: 15.0 }
                        policy: { trains: false, retention_days: 0, zdr: true, jurisdiction: EU }
                  - id: both-apis
                    routes:
                      - name: both
                        upstream: both
                        model: upstream-both
                  - id: chat-translated
                    routes:
                      - name: openai-eu
                        upstream: openai
                        model: upstream-chat
                        tokenizer: o200k_base
                        policy: { trains: false, retention_days: 0, zdr: true, jurisdiction: EU }
                """.formatted(dataDir, openAiUrl, anthropicUrl, anthropicUrl);
    }

    @BeforeAll
    static void start() {
        openAi = FakeUpstream.start();
        anthropic = FakeAnthropicUpstream.start(ANTHROPIC_SECRET);
        Map<String, String> env = Map.of("FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
                "ANTHROPIC_UPSTREAM_KEY", ANTHROPIC_SECRET);
        gateway = Gateway.start(ConfigLoader.parse(yaml(openAi.baseUrl(), anthropic.baseUrl(), dataDir), env), env);
        apiKey = newKey(null);
        client = client(apiKey);
    }

    static String newKey(dev.veil.protocol.KeyPolicy policy) {
        IssuedKey key = ApiKeyIssuer.issue("messages", Instant.now());
        var record = policy == null ? key.record() : new dev.veil.store.ApiKeyRecord(key.record().id(),
                key.record().name(), key.record().secretHash(), key.record().secretHint(), key.record().createdAt(),
                key.record().revokedAt(), policy);
        gateway.store().apiKeys().insert(record);
        return key.secret();
    }

    static AnthropicClient client(String key) {
        return AnthropicOkHttpClient.builder().baseUrl(origin()).apiKey(key).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    static String origin() {
        return "http://127.0.0.1:" + gateway.port();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (openAi != null) {
            openAi.close();
        }
        if (anthropic != null) {
            anthropic.close();
        }
    }

    @BeforeEach
    void resetFakes() {
        openAi.reset();
        anthropic.reset();
    }

    private static MessageCreateParams.Builder params(String model, String text) {
        return MessageCreateParams.builder().model(model).maxTokens(256).addUserMessage(text);
    }

    private static Message stream(AnthropicClient client, MessageCreateParams params) {
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> events = client.messages().createStreaming(params)) {
            events.stream().forEach(accumulator::accumulate);
        }
        return accumulator.message();
    }

    private static String text(Message message) {
        return message.content().stream().filter(ContentBlock::isText).map(b -> b.asText().text())
                .reduce("", String::concat);
    }

    // --- native (apis: [messages]) ---

    @Test
    void nativeWholeAnswerKeepsTheMessagesShapeAndSendsOnlyVeilsCredential() {
        Message message = client.messages().create(params("claude-native", "Hello there")
                .system("You are terse.")
                .metadata(Metadata.builder().userId("user-4711").build())
                .putAdditionalBodyProperty("privacy", JsonValue.from(Map.of("jurisdictions", List.of("EU"))))
                .build());
        assertThat(text(message)).isEqualTo("echo: Hello there");
        assertThat(message.model().asString()).as("the model the client asked for").isEqualTo("claude-native");
        assertThat(message.usage().inputTokens()).isEqualTo(FakeAnthropicUpstream.INPUT_TOKENS);
        assertThat(message.stopReason()).contains(StopReason.END_TURN);

        FakeUpstream.Recorded sent = anthropic.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/messages");
        assertThat(sent.headers().get("x-api-key")).containsExactly(ANTHROPIC_SECRET);
        // The version the client wrote its body for (anthropic-java 3.14 sends 2026-10-21).
        assertThat(sent.headers().get("anthropic-version")).containsExactly("2026-10-21");
        assertThat(sent.headers()).doesNotContainKey("authorization");
        assertThat(sent.headers().toString()).doesNotContain(apiKey);
        JsonNode body = sent.json();
        assertThat(body.path("model").asText()).isEqualTo("upstream-claude");
        assertThat(body.path("system").asText()).isEqualTo("You are terse.");
        assertThat(body.has("metadata")).as("metadata.user_id identifies the caller").isFalse();
        assertThat(body.has("privacy")).isFalse();
        assertThat(body.has("stream_options")).isFalse();
        assertThat(sent.body()).doesNotContain("user-4711");
    }

    /**
     * Every top-level field of Anthropic's "Create a Message" request body (API reference), written out here rather
     * than taken from RequestFields, plus every routing field: the native upstream gets exactly the documented ones
     * but {@code metadata}, and none of Veil's.
     */
    @Test
    void nativeFieldListForwardsTheDocumentedFieldsOnly() throws Exception {
        String body = "{\"model\":\"claude-native\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"f\"}],"
                + "\"container\":\"c\",\"context_management\":{},\"mcp_servers\":[],\"metadata\":{\"user_id\":\"u-77\"},"
                + "\"service_tier\":\"auto\",\"stop_sequences\":[\"X\"],\"stream\":false,\"system\":\"s\","
                + "\"temperature\":0.5,\"thinking\":{\"type\":\"disabled\"},\"tool_choice\":{\"type\":\"auto\"},"
                + "\"tools\":[],\"top_k\":3,\"top_p\":0.9,"
                + "\"privacy\":{\"zdr\":true},\"provider\":{\"zdr\":true},\"models\":[\"claude-native\"],"
                + "\"data_policy\":{\"training_allowed\":false},\"providers\":{\"require\":[\"no-training\"]}}";
        assertThat(post("/v1/messages", body, true).statusCode()).isEqualTo(200);
        java.util.Set<String> sent = new java.util.TreeSet<>();
        anthropic.lastRequest().json().fieldNames().forEachRemaining(sent::add);
        assertThat(sent).containsExactlyInAnyOrder("model", "max_tokens", "messages", "container", "context_management",
                "mcp_servers", "service_tier", "stop_sequences", "stream", "system", "temperature", "thinking",
                "tool_choice", "tools", "top_k", "top_p");
    }

    @Test
    void nativeStreamAccumulatesWithTheClientsOwnAccumulator() {
        Message message = stream(client, params("claude-native", "stream me please").build());
        assertThat(text(message)).isEqualTo("echo: stream me please");
        assertThat(message.model().asString()).isEqualTo("claude-native");
        assertThat(message.usage().inputTokens()).isEqualTo(FakeAnthropicUpstream.INPUT_TOKENS);
        assertThat(message.usage().outputTokens()).isEqualTo(4);
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(anthropic.lastRequest().json().path("stream").asBoolean()).isTrue();
    }

    @Test
    void nativeToolsBothWays() {
        Tool weather = Tool.builder().name("get_weather").description("Weather in a city")
                .inputSchema(Tool.InputSchema.builder().putAdditionalProperty("properties",
                        JsonValue.from(Map.of("city", Map.of("type", "string")))).build()).build();
        for (boolean streamed : List.of(false, true)) {
            MessageCreateParams params = params("claude-native", "what is the weather in Paris?").addTool(weather).build();
            Message message = streamed ? stream(client, params) : client.messages().create(params);
            assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
            ContentBlock call = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
            assertThat(call.asToolUse().name()).isEqualTo("get_weather");
            assertThat(call.asToolUse()._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
        }
        assertThat(anthropic.lastRequest().json().path("tools").path(0).path("input_schema").isObject()).isTrue();
    }

    @Test
    void unknownEventTypesFromTheUpstreamPassAndAreIgnoredByTheClient() throws Exception {
        anthropic.mode(FakeAnthropicUpstream.Mode.UNKNOWN_EVENT);
        Message message = stream(client, params("claude-native", "new events ahead").build());
        assertThat(text(message)).isEqualTo("echo: new events ahead");
        anthropic.mode(FakeAnthropicUpstream.Mode.UNKNOWN_EVENT);
        String raw = post("/v1/messages", "{\"model\":\"claude-native\",\"max_tokens\":5,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true).body();
        assertThat(raw).contains("event: future_event_type").contains("event: message_stop")
                .contains(": veil-receipt ");
    }

    @Test
    void aStreamCutBeforeMessageStopEndsWithAnErrorEventNotAHang() throws Exception {
        anthropic.mode(FakeAnthropicUpstream.Mode.CUT_BEFORE_STOP);
        HttpResponse<String> cut = post("/v1/messages", "{\"model\":\"claude-native\",\"max_tokens\":5,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"cut me\"}]}", true);
        assertThat(cut.statusCode()).isEqualTo(200);
        assertThat(cut.body()).doesNotContain("event: message_stop").contains("event: error")
                .contains("\"type\":\"api_error\"").contains("upstream_stream_truncated");
        anthropic.mode(FakeAnthropicUpstream.Mode.CUT_BEFORE_STOP);
        assertThatThrownBy(() -> stream(client, params("claude-native", "cut me").build()))
                .isInstanceOf(com.anthropic.errors.AnthropicException.class);
    }

    @Test
    void anUpstreamErrorEventBecomesVeilsOwnErrorEvent() throws Exception {
        anthropic.mode(FakeAnthropicUpstream.Mode.ERROR_EVENT);
        HttpResponse<String> failed = post("/v1/messages", "{\"model\":\"claude-native\",\"max_tokens\":5,"
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"fail me\"}]}", true);
        assertThat(failed.body()).contains("event: error").contains("upstream_stream_error")
                .doesNotContain("\"message\":\"Overloaded\"").doesNotContain("event: message_stop");
    }

    @Test
    void upstreamErrorsReachTheClientAsAnthropicErrorTypes() {
        anthropic.mode(FakeAnthropicUpstream.Mode.OVERLOADED);
        assertThatThrownBy(() -> client.messages().create(params("claude-native", "hi").build()))
                .isInstanceOfSatisfying(OverloadedException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(529);
                    assertThat(e.errorType()).contains(ErrorType.OVERLOADED_ERROR);
                });
        anthropic.error(400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                + "\"message\":\"messages: roles must alternate\"}}");
        assertThatThrownBy(() -> client.messages().create(params("claude-native", "hi").build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.errorType()).contains(ErrorType.INVALID_REQUEST_ERROR);
                    assertThat(e.apiMessage().orElseThrow()).contains("roles must alternate");
                });
        anthropic.error(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"bad key\"}}");
        assertThatThrownBy(() -> client.messages().create(params("claude-native", "hi").build()))
                .isInstanceOfSatisfying(AnthropicServiceException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(502);
                    assertThat(e.errorType()).contains(ErrorType.API_ERROR);
                    assertThat(e.body().toString()).contains("upstream_auth_failed");
                });
    }

    @Test
    void aClientThatLeavesMidStreamStopsTheUpstreamAndIsMeteredOnce() throws Exception {
        anthropic.mode(FakeAnthropicUpstream.Mode.LONG_STREAM);
        String key = newKey(null);
        byte[] body = ("{\"model\":\"claude-native\",\"max_tokens\":500,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"long\"}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", gateway.port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: " + key
                    + "\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: "
                    + body.length + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            byte[] buffer = new byte[4096];
            int read = 0;
            while (read < 1_000) {
                int n = socket.getInputStream().read(buffer);
                assertThat(n).as("the stream started").isPositive();
                read += n;
            }
        }
        Eventually.await(Duration.ofSeconds(5), "the upstream stream was cut", () -> anthropic.streamsCutByClient() == 1);
        Eventually.await(Duration.ofSeconds(10), "the request metered once", () -> readTree(send(HttpRequest.newBuilder(
                URI.create(origin() + "/v1/usage")).header("authorization", "Bearer " + key)).body())
                .path("totals").path("requests").asLong() == 1);
        Thread.sleep(300);
        JsonNode totals = readTree(send(HttpRequest.newBuilder(URI.create(origin() + "/v1/usage"))
                .header("authorization", "Bearer " + key)).body()).path("totals");
        assertThat(totals.path("requests").asLong()).isEqualTo(1);
        assertThat(totals.path("prompt_tokens").asLong()).as("billed from message_start").isEqualTo(FakeAnthropicUpstream.INPUT_TOKENS);
    }

    @Test
    void anUpstreamSpeakingBothApisGetsEachRequestInItsOwnApiWithItsOwnCredentialHeader() {
        assertThat(text(client.messages().create(params("both-apis", "native").build()))).isEqualTo("echo: native");
        FakeUpstream.Recorded messages = anthropic.lastRequest();
        assertThat(messages.path()).isEqualTo("/v1/messages");
        assertThat(messages.headers().get("x-api-key")).containsExactly(ANTHROPIC_SECRET);
        assertThat(messages.headers()).doesNotContainKey("authorization");
        // The fake serves only /v1/messages (404 there); what matters is what the gateway sent.
        post("/v1/chat/completions", "{\"model\":\"both-apis\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}",
                false);
        FakeUpstream.Recorded chat = anthropic.lastRequest();
        assertThat(chat.path()).isEqualTo("/v1/chat/completions");
        assertThat(chat.headers().get("authorization")).containsExactly("Bearer " + ANTHROPIC_SECRET);
        assertThat(chat.headers()).doesNotContainKey("x-api-key").doesNotContainKey("anthropic-version");
    }

    // --- translated (OpenAI-compatible upstream) ---

    @Test
    void translatedWholeAnswerWithSystemPrompt() {
        Message message = client.messages().create(params("chat-translated", "Bonjour")
                .system("Answer in French.").putAdditionalBodyProperty("temperature", JsonValue.from(0.2)).stopSequences(List.of("END"))
                .metadata(Metadata.builder().userId("user-4711").build()).build());
        assertThat(text(message)).isEqualTo("echo: Bonjour");
        assertThat(message.model().asString()).isEqualTo("chat-translated");
        assertThat(message.usage().inputTokens()).isEqualTo(11);
        assertThat(message.usage().outputTokens()).isEqualTo(3);
        assertThat(message.stopReason()).contains(StopReason.END_TURN);

        FakeUpstream.Recorded sent = openAi.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/chat/completions");
        assertThat(sent.headers().get("authorization")).containsExactly("Bearer " + GatewayFixture.UPSTREAM_SECRET);
        JsonNode body = sent.json();
        assertThat(body.path("model").asText()).isEqualTo("upstream-chat");
        assertThat(body.path("messages").path(0).path("role").asText()).isEqualTo("system");
        assertThat(body.path("messages").path(0).path("content").asText()).isEqualTo("Answer in French.");
        assertThat(body.path("messages").path(1).path("content").asText()).isEqualTo("Bonjour");
        assertThat(body.path("max_tokens").asInt()).isEqualTo(256);
        assertThat(body.path("stop").path(0).asText()).isEqualTo("END");
        assertThat(body.path("temperature").decimalValue()).isEqualByComparingTo("0.2");
        assertThat(sent.body()).doesNotContain("user-4711").doesNotContain("metadata");
    }

    @Test
    void translatedStreamBecomesTheMessagesEventSequence() throws Exception {
        Message message = stream(client, params("chat-translated", "one two three").build());
        assertThat(text(message)).isEqualTo("echo: one two three");
        assertThat(message.usage().inputTokens()).isEqualTo(11);
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(openAi.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();

        String raw = post("/v1/messages", "{\"model\":\"chat-translated\",\"max_tokens\":5,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"a b\"}]}", true).body();
        List<String> types = raw.lines().filter(l -> l.startsWith("event: ")).map(l -> l.substring(7)).distinct().toList();
        assertThat(types).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(raw).doesNotContain("[DONE]").doesNotContain("chat.completion.chunk");
    }

    @Test
    void translatedToolsBothWays() {
        String toolAnswer = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"upstream-chat\","
                + "\"choices\":[{\"index\":0,\"finish_reason\":\"tool_calls\",\"message\":{\"role\":\"assistant\","
                + "\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                + "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}}],"
                + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"total_tokens\":29}}";
        openAi.custom((request, body) -> request.response().putHeader("content-type", "application/json").end(toolAnswer));
        Tool weather = Tool.builder().name("get_weather").description("Weather in a city")
                .inputSchema(Tool.InputSchema.builder().putAdditionalProperty("properties",
                        JsonValue.from(Map.of("city", Map.of("type", "string")))).build()).build();
        Message message = client.messages().create(params("chat-translated", "weather in Paris?").addTool(weather)
                .toolChoice(com.anthropic.models.messages.ToolChoiceAuto.builder().disableParallelToolUse(true).build())
                .build());
        assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
        ContentBlock call = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
        assertThat(call.asToolUse().id()).isEqualTo("call_1");
        assertThat(call.asToolUse()._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
        JsonNode sent = openAi.lastRequest().json();
        assertThat(sent.path("tools").path(0).path("type").asText()).isEqualTo("function");
        assertThat(sent.path("tools").path(0).path("function").path("name").asText()).isEqualTo("get_weather");
        assertThat(sent.path("tools").path(0).path("function").path("parameters").path("properties").has("city")).isTrue();
        assertThat(sent.path("tool_choice").asText()).isEqualTo("auto");
        assertThat(sent.path("parallel_tool_calls").asBoolean(true)).isFalse();

        // The tool result goes back as a chat tool message right after the assistant's tool call.
        openAi.reset();
        String roundTrip = "{\"model\":\"chat-translated\",\"max_tokens\":50,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"weather in Paris?\"},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"call_1\",\"name\":\"get_weather\","
                + "\"input\":{\"city\":\"Paris\"}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"call_1\",\"content\":\"18 C\"},"
                + "{\"type\":\"text\",\"text\":\"and tomorrow?\"}]}]}";
        assertThat(post("/v1/messages", roundTrip, true).statusCode()).isEqualTo(200);
        JsonNode messages = openAi.lastRequest().json().path("messages");
        assertThat(messages.path(1).path("tool_calls").path(0).path("function").path("arguments").asText())
                .isEqualTo("{\"city\":\"Paris\"}");
        assertThat(messages.path(2).path("role").asText()).isEqualTo("tool");
        assertThat(messages.path(2).path("tool_call_id").asText()).isEqualTo("call_1");
        assertThat(messages.path(2).path("content").asText()).isEqualTo("18 C");
        assertThat(messages.path(3).path("role").asText()).isEqualTo("user");
    }

    @Test
    void translatedStreamedToolCall() {
        String[] chunks = {
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_9\",\"type\":\"function\","
                    + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}",
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},"
                    + "\"finish_reason\":null}]}",
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]},"
                    + "\"finish_reason\":\"tool_calls\"}]}",
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],"
                    + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,\"total_tokens\":29}}"};
        openAi.custom((request, body) -> {
            var response = request.response().setChunked(true).putHeader("content-type", "text/event-stream");
            for (String chunk : chunks) {
                response.write("data: " + chunk + "\n\n");
            }
            response.end("data: [DONE]\n\n");
        });
        Message message = stream(client, params("chat-translated", "weather?").build());
        assertThat(message.stopReason()).contains(StopReason.TOOL_USE);
        ContentBlock call = message.content().stream().filter(ContentBlock::isToolUse).findFirst().orElseThrow();
        assertThat(call.asToolUse().id()).isEqualTo("call_9");
        assertThat(call.asToolUse()._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
        assertThat(message.usage().inputTokens()).isEqualTo(20);
        assertThat(message.usage().outputTokens()).isEqualTo(9);
    }

    @Test
    void whatCannotBeTranslatedIsA400NamingTheField() throws Exception {
        HttpResponse<String> thinking = post("/v1/messages", "{\"model\":\"chat-translated\",\"max_tokens\":50,"
                + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", true);
        assertAnthropicError(thinking, 400, "invalid_request_error", "thinking");
        HttpResponse<String> document = post("/v1/messages", "{\"model\":\"chat-translated\",\"max_tokens\":50,"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{}}]}]}", true);
        assertAnthropicError(document, 400, "invalid_request_error", "messages[0].content[0].type");
        HttpResponse<String> topK = post("/v1/messages", "{\"model\":\"chat-translated\",\"max_tokens\":50,\"top_k\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", true);
        assertAnthropicError(topK, 400, "invalid_request_error", "top_k");
        assertThat(openAi.requests()).isEmpty();
        // The same fields go natively to an Anthropic upstream.
        assertThat(post("/v1/messages", "{\"model\":\"claude-native\",\"max_tokens\":50,\"top_k\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", true).statusCode()).isEqualTo(200);
        assertThat(anthropic.lastRequest().json().path("top_k").asInt()).isEqualTo(5);
    }

    @Test
    void translatedStreamCutBeforeItsEndEndsWithAnErrorEvent() throws Exception {
        openAi.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        HttpResponse<String> cut = post("/v1/messages", "{\"model\":\"chat-translated\",\"max_tokens\":5,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"cut me\"}]}", true);
        assertThat(cut.body()).contains("event: error").contains("upstream_stream_truncated").doesNotContain("event: message_stop");
    }

    // --- Veil's policy, keys and errors ---

    @Test
    void aPolicyRefusalIsAPermissionErrorWithVeilsTypedDetail() {
        assertThatThrownBy(() -> client.messages().create(params("claude-native", "hi")
                .putAdditionalBodyProperty("privacy", JsonValue.from(Map.of("min_mode", "e2ee"))).build()))
                .isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.errorType()).contains(ErrorType.PERMISSION_ERROR);
                    JsonNode error = JSON.valueToTree(e.body().convert(Map.class)).path("error");
                    assertThat(error.path("code").asText()).isEqualTo("no_compliant_route");
                    assertThat(error.path("excluded").path(0).path("route").asText()).isEqualTo("anthropic-eu");
                    assertThat(error.path("excluded").path(0).path("constraint").asText()).isEqualTo("privacy.min_mode");
                });
        assertThatThrownBy(() -> client.messages().create(params("chat-translated", "hi")
                .putAdditionalBodyProperty("provider", JsonValue.from(Map.of("only", List.of("elsewhere")))).build()))
                .isInstanceOf(PermissionDeniedException.class);
        assertThat(anthropic.requests()).isEmpty();
        assertThat(openAi.requests()).isEmpty();
    }

    @Test
    void keysByXApiKeyOrBearerAndTheirErrors() {
        // The SDK's authToken sends Authorization: Bearer.
        AnthropicClient bearer = AnthropicOkHttpClient.builder().baseUrl(origin()).authToken(apiKey).maxRetries(0).build();
        assertThat(text(bearer.messages().create(params("claude-native", "bearer").build()))).isEqualTo("echo: bearer");
        assertThatThrownBy(() -> client("sk-veil-wrong").messages().create(params("claude-native", "hi").build()))
                .isInstanceOfSatisfying(UnauthorizedException.class,
                        e -> assertThat(e.errorType()).contains(ErrorType.AUTHENTICATION_ERROR));
        assertThatThrownBy(() -> client.messages().create(params("no-such-model", "hi").build()))
                .isInstanceOfSatisfying(NotFoundException.class,
                        e -> assertThat(e.errorType()).contains(ErrorType.NOT_FOUND_ERROR));
    }

    @Test
    void rateLimitsApply() {
        String limited = newKey(new dev.veil.protocol.KeyPolicy(null, dev.veil.protocol.PrivacyMode.ANONYMIZED, java.util.Set.of(),
                java.util.Set.of(), java.util.Set.of(), null, dev.veil.protocol.KeyPolicy.BudgetPeriod.MONTH, 1, null));
        AnthropicClient limitedClient = client(limited);
        limitedClient.messages().create(params("claude-native", "first").build());
        assertThatThrownBy(() -> limitedClient.messages().create(params("claude-native", "second").build()))
                .isInstanceOfSatisfying(RateLimitException.class,
                        e -> assertThat(e.errorType()).contains(ErrorType.RATE_LIMIT_ERROR));
    }

    @Test
    void usageIsMeteredOncePerRequestWithAReceipt() throws Exception {
        String key = newKey(null);
        HttpResponse<String> whole = send(HttpRequest.newBuilder(URI.create(origin() + "/v1/messages"))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-native\",\"max_tokens\":5,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}")));
        assertThat(whole.headers().firstValue("x-veil-route")).contains("anthropic-eu");
        assertThat(whole.headers().firstValue("x-veil-receipt").orElseThrow()).contains("\"route\":\"anthropic-eu\"");
        HttpResponse<String> streamed = send(HttpRequest.newBuilder(URI.create(origin() + "/v1/messages"))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"claude-native\",\"max_tokens\":5,\"stream\":true,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"a b c\"}]}")));
        assertThat(streamed.body()).contains(": veil-receipt {");
        Eventually.await(Duration.ofSeconds(10), "both requests metered once", () -> {
            JsonNode totals = readTree(send(HttpRequest.newBuilder(URI.create(origin() + "/v1/usage"))
                    .header("authorization", "Bearer " + key)).body()).path("totals");
            return totals.path("requests").asLong() == 2;
        });
        JsonNode totals = readTree(send(HttpRequest.newBuilder(URI.create(origin() + "/v1/usage"))
                .header("authorization", "Bearer " + key)).body()).path("totals");
        assertThat(totals.path("prompt_tokens").asLong()).isEqualTo(2L * FakeAnthropicUpstream.INPUT_TOKENS);
        assertThat(totals.path("completion_tokens").asLong()).isEqualTo(2L * 4);
    }

    @Test
    void answersWithoutUsageAreCountedByVeilAndMarkedEstimated() throws Exception {
        String body = "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"count these words\"}]";
        anthropic.mode(FakeAnthropicUpstream.Mode.NO_USAGE);
        HttpResponse<String> whole = post("/v1/messages", "{\"model\":\"claude-native\"," + body + "}", true);
        assertThat(whole.headers().firstValue("x-veil-receipt").orElseThrow()).contains("\"usage_estimated\":true");
        assertThat(post("/v1/messages", "{\"model\":\"claude-native\",\"stream\":true," + body + "}", true).body())
                .contains("\"usage_estimated\":true");
        openAi.mode(FakeUpstream.Mode.NO_USAGE);
        String translated = post("/v1/messages", "{\"model\":\"chat-translated\",\"stream\":true," + body + "}", true)
                .body();
        assertThat(translated).contains("\"usage_estimated\":true").contains("event: message_stop");
        JsonNode delta = readTree(translated.lines().filter(l -> l.startsWith("data: {\"type\":\"message_delta\""))
                .findFirst().orElseThrow().substring(6));
        assertThat(delta.path("usage").path("output_tokens").asLong()).as("Veil's count of the answer").isPositive();
        assertThat(delta.path("usage").path("input_tokens").asLong()).as("Veil's count of the prompt").isPositive();
    }

    // --- bad input ---

    @Test
    void anthropicVersionIsRequiredAndChecked() throws Exception {
        String body = "{\"model\":\"claude-native\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        HttpResponse<String> missing = send(HttpRequest.newBuilder(URI.create(origin() + "/v1/messages"))
                .header("x-api-key", apiKey).POST(HttpRequest.BodyPublishers.ofString(body)));
        assertAnthropicError(missing, 400, "invalid_request_error", "anthropic-version");
        HttpResponse<String> wrong = send(HttpRequest.newBuilder(URI.create(origin() + "/v1/messages"))
                .header("x-api-key", apiKey).header("anthropic-version", "2099-01-01")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertAnthropicError(wrong, 400, "invalid_request_error", "anthropic-version");
        assertThat(wrong.body()).contains("2023-06-01");
        assertThat(anthropic.requests()).isEmpty();
    }

    @Test
    void aChatBodySentToMessagesIsRefusedInAnthropicsShape() throws Exception {
        HttpResponse<String> noMaxTokens = post("/v1/messages", "{\"model\":\"claude-native\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true);
        assertAnthropicError(noMaxTokens, 400, "invalid_request_error", "max_tokens");
        HttpResponse<String> chatField = post("/v1/messages", "{\"model\":\"claude-native\",\"max_tokens\":5,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", true);
        assertAnthropicError(chatField, 400, "invalid_request_error", "stream_options");
        HttpResponse<String> notJson = post("/v1/messages", "{\"model\":", true);
        assertAnthropicError(notJson, 400, "invalid_request_error", null);
        assertAnthropicError(post("/v1/messages/count_tokens", "{}", true), 404, "not_found_error", null);
        HttpResponse<String> wrongMethod = send(HttpRequest.newBuilder(URI.create(origin() + "/v1/messages"))
                .header("x-api-key", apiKey).header("anthropic-version", "2023-06-01").GET());
        assertAnthropicError(wrongMethod, 405, "invalid_request_error", null);
        assertThat(anthropic.requests()).isEmpty();
    }

    @Test
    void aMessagesBodySentToChatCompletionsIsRefusedInOpenAisShape() throws Exception {
        HttpResponse<String> response = post("/v1/chat/completions", "{\"model\":\"chat-translated\",\"max_tokens\":5,"
                + "\"system\":\"be brief\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false);
        assertThat(response.statusCode()).isEqualTo(400);
        JsonNode error = readTree(response.body()).path("error");
        assertThat(error.path("param").asText()).isEqualTo("system");
        assertThat(error.path("code").asText()).isEqualTo("unknown_parameter");
        assertThat(error.path("message").asText()).contains("/v1/messages");
        // And an Anthropic-only model is not served on the chat endpoint: no route of it speaks chat.
        HttpResponse<String> nativeOnly = post("/v1/chat/completions", "{\"model\":\"claude-native\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", false);
        assertThat(nativeOnly.statusCode()).isEqualTo(400);
        assertThat(readTree(nativeOnly.body()).path("error").path("code").asText()).isEqualTo("unsupported_endpoint");
        assertThat(readTree(nativeOnly.body()).path("error").path("param").asText()).isEqualTo("model");
        assertThat(anthropic.requests()).isEmpty();
    }

    private static void assertAnthropicError(HttpResponse<String> response, int status, String type, String param) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        JsonNode body = readTree(response.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo(type);
        assertThat(body.path("error").path("message").asText()).isNotBlank();
        if (param != null) {
            assertThat(body.path("error").path("param").asText()).isEqualTo(param);
            assertThat(body.path("error").path("message").asText()).contains(param);
        }
    }

    private static JsonNode readTree(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    private static HttpResponse<String> post(String path, String json, boolean anthropicHeaders) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(origin() + path))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json));
        if (anthropicHeaders) {
            request.header("x-api-key", apiKey).header("anthropic-version", "2023-06-01");
        } else {
            request.header("authorization", "Bearer " + apiKey);
        }
        return send(request);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("request to the gateway failed: " + e, e);
        }
    }
}
