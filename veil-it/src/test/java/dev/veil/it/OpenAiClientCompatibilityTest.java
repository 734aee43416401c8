package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.InternalServerException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionNamedToolChoice;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.completions.CompletionUsage;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official openai-java client against a real gateway in front of the recording fake upstream: every call a
 * typical application makes must work unchanged, and every OpenAI error must surface as the SDK's typed exception.
 */
@Timeout(30)
class OpenAiClientCompatibilityTest {

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

    private static ChatCompletionCreateParams.Builder chat(String message) {
        return ChatCompletionCreateParams.builder().model("test-chat").addUserMessage(message);
    }

    // ---------------------------------------------------------------- chat

    @Test
    void chatCompletionReturnsTheEchoWithUsageAndRequestId() {
        try (HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse()
                .create(chat("hello gateway").build())) {
            assertThat(raw.statusCode()).isEqualTo(200);
            assertThat(raw.headers().values("x-request-id")).singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                    .startsWith("req_");
            assertThat(raw.requestId()).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
            assertThat(raw.headers().values("x-veil-route")).containsExactly("fake-zdr");
            assertThat(raw.headers().values("x-veil-privacy-mode")).containsExactly("private");

            ChatCompletion completion = raw.parse();
            assertThat(completion.choices()).hasSize(1);
            assertThat(completion.choices().get(0).message().content()).hasValue("echo: hello gateway");
            assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
            CompletionUsage usage = completion.usage().orElseThrow();
            assertThat(usage.promptTokens()).isEqualTo(11);
            assertThat(usage.completionTokens()).isEqualTo(3);
            assertThat(usage.totalTokens()).isEqualTo(14);
        }
        JsonNode sent = fixture.upstream.lastRequest().json();
        assertThat(fixture.upstream.lastRequest().path()).isEqualTo("/v1/chat/completions");
        assertThat(sent.path("model").asText()).isEqualTo("upstream-chat");
        assertThat(sent.has("stream_options")).as("non-streaming requests are not given stream_options").isFalse();
    }

    @Test
    void chatStreamDeltasConcatenateToTheEchoAndUsageIsStrippedWhenNotAsked() {
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions()
                .createStreaming(chat("stream me please").build())) {
            chunks = stream.stream().collect(Collectors.toList());
        }
        String text = chunks.stream()
                .flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
        assertThat(text).isEqualTo("echo: stream me please");
        assertThat(chunks).hasSizeGreaterThanOrEqualTo(3);
        assertThat(chunks).allSatisfy(c -> assertThat(c.usage()).as("usage on a chunk the client did not ask for").isEmpty());
        assertThat(chunks).allSatisfy(c -> assertThat(c.choices()).as("the usage-only chunk must be dropped").isNotEmpty());

        JsonNode sent = fixture.upstream.lastRequest().json();
        assertThat(sent.path("stream").asBoolean()).isTrue();
        assertThat(sent.path("stream_options").path("include_usage").isBoolean()).isTrue();
        assertThat(sent.path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void chatStreamWithIncludeUsageEndsWithTheUsageChunk() {
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("count my tokens")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().collect(Collectors.toList());
        }
        String text = chunks.stream()
                .flatMap(c -> c.choices().stream())
                .map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
        assertThat(text).isEqualTo("echo: count my tokens");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        CompletionUsage usage = last.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(11);
        assertThat(usage.completionTokens()).isEqualTo(4); // "echo: " "count " "my " "tokens"
        assertThat(usage.totalTokens()).isEqualTo(15);
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.usage()).isEmpty());

        JsonNode sent = fixture.upstream.lastRequest().json();
        assertThat(sent.path("stream_options")).isEqualTo(JSON.createObjectNode().put("include_usage", true));
    }

    @Test
    void rawStreamWithoutIncludeUsageCarriesNoUsageAndEndsWithDone() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions",
                "{\"model\":\"test-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"raw stream\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/event-stream"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        List<String> data = CompatSse.dataPayloads(response.body());
        assertThat(data).last().isEqualTo("[DONE]");
        StringBuilder text = new StringBuilder();
        for (String payload : data.subList(0, data.size() - 1)) {
            JsonNode event = JSON.readTree(payload);
            assertThat(event.path("usage").isMissingNode() || event.path("usage").isNull())
                    .as("event carries usage: %s", payload).isTrue();
            assertThat(event.path("choices").size()).isEqualTo(1);
            text.append(event.path("choices").path(0).path("delta").path("content").asText());
        }
        assertThat(text).hasToString("echo: raw stream");
        assertThat(fixture.upstream.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void otherStreamOptionsSurviveWhileIncludeUsageIsForcedOnUpstream() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions",
                "{\"model\":\"test-chat\",\"stream\":true,\"stream_options\":{\"include_usage\":false,"
                        + "\"continuous_usage_stats\":{\"every\":2}},\"messages\":[{\"role\":\"user\",\"content\":\"opts\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode options = fixture.upstream.lastRequest().json().path("stream_options");
        assertThat(options).isEqualTo(JSON.readTree("{\"continuous_usage_stats\":{\"every\":2},\"include_usage\":true}"));
        List<String> data = CompatSse.dataPayloads(response.body());
        assertThat(data).last().isEqualTo("[DONE]");
        for (String payload : data.subList(0, data.size() - 1)) {
            JsonNode event = JSON.readTree(payload);
            assertThat(event.path("choices").size()).as("usage-only chunk leaked: %s", payload).isEqualTo(1);
        }
    }

    // ---------------------------------------------------------------- legacy completions

    @Test
    void legacyCompletion() {
        Completion completion = client.completions().create(CompletionCreateParams.builder()
                .model("test-chat").prompt("legacy prompt").maxTokens(16).build());
        assertThat(completion.choices()).hasSize(1);
        assertThat(completion.choices().get(0).text()).isEqualTo("echo: legacy prompt");
        assertThat(completion.usage().orElseThrow().totalTokens()).isEqualTo(14);

        FakeUpstream.Recorded sent = fixture.upstream.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/completions");
        assertThat(sent.json().path("model").asText()).isEqualTo("upstream-chat");
        assertThat(sent.json().path("prompt").asText()).isEqualTo("legacy prompt");
        assertThat(sent.json().path("max_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void legacyCompletionStreaming() {
        List<Completion> chunks;
        try (StreamResponse<Completion> stream = client.completions().createStreaming(CompletionCreateParams.builder()
                .model("test-chat").prompt("legacy stream here").build())) {
            chunks = stream.stream().collect(Collectors.toList());
        }
        String text = chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.text()).collect(Collectors.joining());
        assertThat(text).isEqualTo("echo: legacy stream here");
        assertThat(chunks).allSatisfy(c -> assertThat(c.usage()).isEmpty());
        FakeUpstream.Recorded sent = fixture.upstream.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/completions");
        assertThat(sent.json().path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    // ---------------------------------------------------------------- embeddings

    @Test
    void embeddingsOfOneString() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("test-embed").input("embed me").build());
        assertThat(response.data()).hasSize(1);
        assertThat(response.data().get(0).index()).isZero();
        assertThat(response.data().get(0).embedding()).containsExactly(0.25f, -0.5f, 0.75f);
        assertThat(response.usage().promptTokens()).isEqualTo(7);
        assertThat(response.usage().totalTokens()).isEqualTo(7);

        FakeUpstream.Recorded sent = fixture.upstream.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/embeddings");
        assertThat(sent.json().path("model").asText()).isEqualTo("upstream-embed");
        assertThat(sent.json().path("input").asText()).isEqualTo("embed me");
    }

    @Test
    void embeddingsOfAList() {
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("test-embed").inputOfArrayOfStrings(List.of("one", "two", "three")).build());
        assertThat(response.data()).hasSize(3);
        assertThat(response.data()).extracting(e -> e.index()).containsExactly(0L, 1L, 2L);
        assertThat(response.data()).allSatisfy(e -> assertThat(e.embedding()).containsExactly(0.25f, -0.5f, 0.75f));
        assertThat(response.usage().promptTokens()).isEqualTo(7);

        JsonNode input = fixture.upstream.lastRequest().json().path("input");
        assertThat(input).isEqualTo(JSON.createArrayNode().add("one").add("two").add("three"));
    }

    // ---------------------------------------------------------------- models

    @Test
    void modelsListAndRetrieveCarryThePrivacyObject() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactlyInAnyOrder("test-chat", "test-embed", "test-unreachable");
        assertThat(models).allSatisfy(m -> {
            assertThat(m.ownedBy()).isEqualTo("veil");
            assertThat(m._additionalProperties()).containsKey("privacy");
        });

        Model chat = client.models().retrieve("test-chat");
        assertThat(chat.id()).isEqualTo("test-chat");
        assertThat(chat.created()).isPositive();
        JsonNode privacy = toJson(chat._additionalProperties().get("privacy"));
        assertThat(privacy.path("mode").asText()).isEqualTo("private");
        assertThat(privacy.path("routes")).hasSize(1);
        JsonNode route = privacy.path("routes").path(0);
        assertThat(route.path("route").asText()).isEqualTo("fake-zdr");
        assertThat(route.path("mode").asText()).isEqualTo("private");
        JsonNode policy = route.path("policy");
        assertThat(policy.path("trains").isBoolean() && !policy.path("trains").asBoolean()).isTrue();
        assertThat(policy.path("retention_days").isInt()).isTrue();
        assertThat(policy.path("retention_days").asInt()).isZero();
        assertThat(policy.path("zdr").asBoolean()).isTrue();
        assertThat(policy.path("jurisdiction").asText()).isEqualTo("EU");
        assertThat(policy.has("tee")).isTrue();
        assertThat(policy.has("e2ee")).isTrue();
        assertThat(policy.has("policy_url")).isTrue();

        Model embed = client.models().retrieve("test-embed");
        JsonNode embedPrivacy = toJson(embed._additionalProperties().get("privacy"));
        assertThat(embedPrivacy.path("mode").asText()).isEqualTo("private");
        assertThat(embedPrivacy.path("routes").path(0).path("policy").path("zdr").isNull()).isTrue();

        Model unreachable = client.models().retrieve("test-unreachable");
        JsonNode unknownPrivacy = toJson(unreachable._additionalProperties().get("privacy"));
        assertThat(unknownPrivacy.path("mode").asText()).as("a route that declares nothing is the worst case")
                .isEqualTo("anonymized");
        JsonNode unknownPolicy = unknownPrivacy.path("routes").path(0).path("policy");
        assertThat(unknownPolicy.path("trains").isNull()).isTrue();
        assertThat(unknownPolicy.path("retention_days").isNull()).isTrue();
    }

    @Test
    void retrievingAnUnknownModelIsNotFound() {
        NotFoundException e = catchThrowableOfType(NotFoundException.class, () -> client.models().retrieve("no-such-model"));
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.code()).hasValue("model_not_found");
    }

    // ---------------------------------------------------------------- pass-through

    @Test
    void toolsResponseFormatImagesAndLogprobsPassThroughUntouched() throws Exception {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model("test-chat")
                .addUserMessageOfArrayOfContentParts(List.of(
                        ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder().text("what is in this image?").build()),
                        ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage.builder()
                                .imageUrl(ChatCompletionContentPartImage.ImageUrl.builder()
                                        .url("data:image/png;base64,iVBORw0KGgo=")
                                        .detail(ChatCompletionContentPartImage.ImageUrl.Detail.HIGH)
                                        .build())
                                .build())))
                .addTool(ChatCompletionFunctionTool.builder()
                        .function(FunctionDefinition.builder()
                                .name("get_weather")
                                .description("Weather for a city")
                                .parameters(FunctionParameters.builder()
                                        .putAdditionalProperty("type", JsonValue.from("object"))
                                        .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                                "city", Map.of("type", "string"))))
                                        .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                                        .build())
                                .build())
                        .build())
                .toolChoice(ChatCompletionNamedToolChoice.builder()
                        .function(ChatCompletionNamedToolChoice.Function.builder().name("get_weather").build())
                        .build())
                .responseFormat(ResponseFormatJsonSchema.builder()
                        .jsonSchema(ResponseFormatJsonSchema.JsonSchema.builder()
                                .name("answer")
                                .strict(true)
                                .schema(ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                                        .putAdditionalProperty("type", JsonValue.from("object"))
                                        .putAdditionalProperty("properties", JsonValue.from(Map.of(
                                                "answer", Map.of("type", "string"))))
                                        .build())
                                .build())
                        .build())
                .logprobs(true)
                .topLogprobs(3)
                .temperature(0.5)
                .user("end-user-4711")
                .build();

        ChatCompletion completion = client.chat().completions().create(params);
        assertThat(completion.choices().get(0).message().content()).hasValue("echo: what is in this image?");
        FakeUpstream.Recorded recorded = fixture.upstream.lastRequest();
        JsonNode viaGateway = recorded.json();
        assertThat(recorded.headers().get("authorization")).as("the operator's credential, not the caller's")
                .containsExactly("Bearer " + GatewayFixture.UPSTREAM_SECRET);
        assertThat(recorded.headers().keySet()).as("SDK fingerprint headers stay behind")
                .noneSatisfy(h -> assertThat(h.toLowerCase(java.util.Locale.ROOT)).startsWith("x-stainless"))
                .doesNotContain("user-agent");

        // What the same SDK call sends when it talks to the provider directly.
        fixture.upstream.reset();
        OpenAIClient directClient = OpenAIOkHttpClient.builder().baseUrl(fixture.upstream.baseUrl()).apiKey("direct")
                .maxRetries(0).timeout(Duration.ofSeconds(10)).build();
        try {
            directClient.chat().completions().create(params);
        } finally {
            directClient.close();
        }
        JsonNode direct = fixture.upstream.lastRequest().json();

        // What a plain-JSON client would put in the same request.
        JsonNode plain = JSON.readTree("""
                {
                  "model": "test-chat",
                  "messages": [{"role": "user", "content": [
                      {"type": "text", "text": "what is in this image?"},
                      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high"}}]}],
                  "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
                  "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
                  "response_format": {"type": "json_schema", "json_schema": {"name": "answer", "strict": true,
                      "schema": {"type": "object", "properties": {"answer": {"type": "string"}}}}},
                  "logprobs": true,
                  "top_logprobs": 3,
                  "temperature": 0.5,
                  "user": "end-user-4711"
                }
                """);
        for (String field : List.of("messages", "tools", "tool_choice", "response_format", "logprobs", "top_logprobs",
                "temperature")) {
            assertThat(viaGateway.get(field)).as("field %s as the upstream received it", field).isEqualTo(plain.get(field));
            assertThat(viaGateway.get(field)).as("field %s compared with a direct SDK call", field).isEqualTo(direct.get(field));
        }
        assertThat(viaGateway.path("model").asText()).isEqualTo("upstream-chat");
        assertThat(viaGateway.has("user")).as("the caller's identity must not reach the provider").isFalse();
        assertThat(direct.path("user").asText()).as("the SDK did send user").isEqualTo("end-user-4711");

        // Nothing else was added or lost: the gateway's body is the direct body minus user, with the model rewritten.
        ObjectNode expected = ((ObjectNode) direct.deepCopy());
        expected.remove("user");
        expected.put("model", "upstream-chat");
        assertThat(viaGateway).isEqualTo(expected);
    }

    @Test
    void fieldOrderAndNumberFormsSurviveByteForByte() {
        String body = "{\"temperature\":0.70,\"model\":\"test-chat\",\"seed\":12345678901234,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"exact\\u00e9\"}],\"logit_bias\":{\"1\":1e3,\"2\":-0.0}}";
        HttpResponse<String> response = fixture.post("/v1/chat/completions", body);
        assertThat(response.statusCode()).isEqualTo(200);
        String sent = fixture.upstream.lastRequest().body();
        JsonNode json = fixture.upstream.lastRequest().json();
        assertThat(json.path("seed").asLong()).isEqualTo(12345678901234L);
        assertThat(json.path("messages").path(0).path("content").asText()).isEqualTo("exact\u00e9");
        assertThat(json.path("temperature").decimalValue()).isEqualByComparingTo("0.7");
        assertThat(json.path("logit_bias").path("1").asDouble()).isEqualTo(1000.0);
        assertThat(sent.indexOf("\"temperature\"")).as("field order kept").isLessThan(sent.indexOf("\"seed\""));
    }

    // ---------------------------------------------------------------- errors

    @Test
    void aFieldOpenAiDoesNotDocumentIsABadRequestNamingIt() {
        fixture.upstream.reset();
        BadRequestException refused = catchThrowableOfType(BadRequestException.class, () -> client.chat().completions()
                .create(ChatCompletionCreateParams.builder().model("test-chat").addUserMessage("hi")
                        .putAdditionalBodyProperty("vendor_extension", JsonValue.from(Map.of("flag", false))).build()));
        assertThat(refused).isNotNull();
        assertThat(refused.code()).hasValue("unknown_parameter");
        assertThat(refused.param()).hasValue("vendor_extension");
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void wrongApiKeyIsUnauthorized() {
        OpenAIClient wrong = fixture.openAiClient("veil-sk-not-a-real-key");
        try {
            UnauthorizedException e = catchThrowableOfType(UnauthorizedException.class,
                    () -> wrong.chat().completions().create(chat("hi").build()));
            assertThat(e).isNotNull();
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.code()).hasValue("invalid_api_key");
            assertThat(e.type()).hasValue("authentication_error");
            assertThatThrownBy(() -> wrong.models().list()).isInstanceOf(UnauthorizedException.class);
        } finally {
            wrong.close();
        }
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void unknownModelIsNotFoundWithModelNotFoundCode() {
        NotFoundException e = catchThrowableOfType(NotFoundException.class,
                () -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model("gpt-nonexistent").addUserMessage("hi").build()));
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(404);
        assertThat(e.code()).hasValue("model_not_found");
        assertThat(e.param()).hasValue("model");
        assertThat(e.type()).hasValue("invalid_request_error");
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void missingMessagesIsAnOpenAiShaped400() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions", "{\"model\":\"test-chat\"}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = JSON.readTree(response.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("param").asText()).isEqualTo("messages");
        assertThat(error.path("code").asText()).isEqualTo("missing_required_parameter");
        assertThat(error.path("message").asText()).contains("messages");
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void upstream400ReachesTheClientAsBadRequest() {
        fixture.upstream.error(400,
                "{\"error\":{\"message\":\"bad thing\",\"type\":\"invalid_request_error\",\"param\":\"temperature\",\"code\":\"bad\"}}");
        BadRequestException e = catchThrowableOfType(BadRequestException.class,
                () -> client.chat().completions().create(chat("hi").temperature(7.0).build()));
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(400);
        assertThat(e.param()).hasValue("temperature");
        assertThat(e.code()).hasValue("bad");
        assertThat(e.type()).hasValue("invalid_request_error");
        assertThat(e.getMessage()).contains("The upstream provider rejected the request: bad thing");
    }

    @Test
    void upstream500BecomesA502InternalServerException() {
        fixture.upstream.error(500, "{\"error\":{\"message\":\"secret upstream stack trace\"}}");
        InternalServerException e = catchThrowableOfType(InternalServerException.class,
                () -> client.chat().completions().create(chat("hi").build()));
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.code()).hasValue("upstream_error");
        assertThat(e.type()).hasValue("upstream_error");
        assertThat(e.getMessage()).doesNotContain("secret upstream stack trace");
        assertThat(fixture.upstream.requests()).as("maxRetries(0): exactly one attempt").hasSize(1);
    }

    @Test
    void upstream429IsARateLimitException() {
        fixture.upstream.error(429, "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\"}}");
        RateLimitException e = catchThrowableOfType(RateLimitException.class,
                () -> client.chat().completions().create(chat("hi").build()));
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(429);
        assertThat(e.code()).hasValue("upstream_rate_limited");
        assertThat(e.type()).hasValue("rate_limit_error");
    }

    @Test
    void upstream400OnAStreamIsABadRequestBeforeAnyEvent() {
        fixture.upstream.error(400, "{\"error\":{\"message\":\"no streams today\",\"param\":\"stream\",\"code\":\"nope\"}}");
        BadRequestException e = catchThrowableOfType(BadRequestException.class, () -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("hi").build())) {
                stream.stream().forEach(c -> { });
            }
        });
        assertThat(e).isNotNull();
        assertThat(e.param()).hasValue("stream");
        assertThat(e.code()).hasValue("nope");
    }

    @Test
    void unreachableUpstreamIs502UpstreamUnavailable() {
        OpenAIServiceException e = catchThrowableOfType(OpenAIServiceException.class,
                () -> client.chat().completions().create(ChatCompletionCreateParams.builder()
                        .model("test-unreachable").addUserMessage("hi").build()));
        assertThat(e).isNotNull().isInstanceOf(InternalServerException.class);
        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.code()).hasValue("upstream_unavailable");
        assertThat(e.type()).hasValue("upstream_error");
    }

    @Test
    void upstreamRefusingTheOperatorCredentialIsA502ForTheCaller() {
        fixture.upstream.error(401, "{\"error\":{\"message\":\"Incorrect API key provided: upstream-cred***\",\"code\":\"invalid_api_key\"}}");
        InternalServerException e = catchThrowableOfType(InternalServerException.class,
                () -> client.chat().completions().create(chat("hi").build()));
        assertThat(e).as("an upstream 401 must not look like the caller's key was wrong").isNotNull();
        assertThat(e.statusCode()).isEqualTo(502);
        assertThat(e.code()).hasValue("upstream_auth_failed");
        assertThat(e.getMessage()).doesNotContain("upstream-cred");
    }

    @Test
    void silentUpstreamIsA504UpstreamTimeout() {
        fixture.upstream.mode(FakeUpstream.Mode.SILENT);
        long start = System.nanoTime();
        InternalServerException e = catchThrowableOfType(InternalServerException.class,
                () -> client.chat().completions().create(chat("hi").build()));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertThat(e).isNotNull();
        assertThat(e.statusCode()).isEqualTo(504);
        assertThat(e.code()).hasValue("upstream_timeout");
        assertThat(millis).as("answered by the gateway's idle timeout (3 s), not the SDK's (15 s)").isBetween(2_500L, 10_000L);
    }

    @Test
    void streamCutMidwayFailsInTheSdkInsteadOfEndingQuietly() {
        fixture.upstream.mode(FakeUpstream.Mode.RESET_MID_STREAM).extraChunks(5);
        List<String> seen = new java.util.ArrayList<>();
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("cut me").build())) {
                stream.stream().forEach(c -> c.choices().forEach(ch -> seen.add(ch.delta().content().orElse(""))));
            }
        });
        assertThat(seen).as("events before the cut reach the client").isNotEmpty();
        assertThat(failure).as("a truncated stream must surface as an error, got chunks %s", seen)
                .isInstanceOf(com.openai.errors.OpenAIException.class);
        assertThat(failure.getMessage()).contains("upstream");
    }

    @Test
    void streamEndingWithoutDoneFailsInTheSdk() {
        fixture.upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        List<String> seen = new java.util.ArrayList<>();
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> {
            try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(chat("no done").build())) {
                stream.stream().forEach(c -> c.choices().forEach(ch -> seen.add(ch.delta().content().orElse(""))));
            }
        });
        assertThat(String.join("", seen)).isEqualTo("echo: no done");
        assertThat(failure).as("a stream without [DONE] must surface as an error")
                .isInstanceOf(com.openai.errors.OpenAIException.class);
    }

    // ---------------------------------------------------------------- helpers

    private static JsonNode toJson(JsonValue value) {
        assertThat(value).as("missing JSON value").isNotNull();
        return JSON.valueToTree(value.convert(Object.class));
    }
}
