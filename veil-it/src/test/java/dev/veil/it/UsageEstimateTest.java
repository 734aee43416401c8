package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import dev.veil.store.RequestRecord;
import dev.veil.tokens.Tokenizer;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upstream that ignores {@code stream_options} and reports no usage (issue 12): Veil counts the tokens itself with
 * the route's tokenizer, bills that count marked estimated (request log and receipt), and still gives a client that
 * asked for usage the usage chunk, before {@code [DONE]}. Never one token per event. The fixture's {@code test-chat}
 * route declares {@code tokenizer: o200k_base}; {@code test-embed}'s upstream model is unknown, so it gets the byte
 * estimate.
 */
@Timeout(60)
class UsageEstimateTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Tokenizer O200K = Tokenizer.named("o200k_base").orElseThrow();
    private static final String MESSAGE = "Please count every one of these tokens, exactly as OpenAI would.";
    /** The fake upstream echoes the last user message. */
    private static final String ANSWER = "echo: " + MESSAGE;

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
    void upstreamReportsNoUsage() {
        fixture.upstream.reset();
        fixture.upstream.mode(FakeUpstream.Mode.NO_USAGE);
    }

    /** One user message, as OpenAI's cookbook counts it: 3 per message, its role and content, 3 for the reply. */
    private static long promptTokens(String message) {
        return 3 + O200K.count("user") + O200K.count(message) + 3;
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model("test-chat").addUserMessage(MESSAGE);
    }

    @Test
    void aClientThatAskedForUsageGetsTheChunkWithVeilsCount() throws Exception {
        List<ChatCompletionChunk> chunks;
        String requestId;
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw = client.chat().completions().withRawResponse()
                .createStreaming(chat().streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                        .build());
             StreamResponse<ChatCompletionChunk> stream = raw.parse()) {
            requestId = raw.requestId().orElseThrow();
            chunks = stream.stream().collect(Collectors.toList());
        }
        String text = chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
        assertThat(text).isEqualTo(ANSWER);
        assertThat(fixture.upstream.lastRequest().json().path("stream_options").path("include_usage").asBoolean())
                .as("Veil asked the upstream for usage, which it ignored").isTrue();

        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.id()).as("the chunk continues the upstream's stream").isEqualTo("cmpl-fake");
        CompletionUsage usage = last.usage().orElseThrow();
        long events = chunks.size() - 1;
        assertThat(usage.completionTokens()).isEqualTo(O200K.count(ANSWER)).isNotEqualTo(events);
        assertThat(usage.promptTokens()).isEqualTo(promptTokens(MESSAGE));
        assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
        assertThat(usage._additionalProperties().get("estimated")).isEqualTo(JsonValue.from(true));
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.usage()).isEmpty());

        RequestRecord row = loggedRequest(requestId);
        assertThat(row.usageEstimated()).isTrue();
        assertThat(row.promptTokens()).isEqualTo(usage.promptTokens());
        assertThat(row.completionTokens()).isEqualTo(usage.completionTokens());
        assertThat(row.costMicros()).as("billed at the route's price").isPositive();
        assertThat(fixture.get("/metrics").body()).as("operators see the route whose upstream ignores stream_options")
                .containsPattern("veil_usage_estimated_total\\{[^}]*route=\"fake-zdr\"[^}]*\\} [1-9]");
    }

    @Test
    void theUsageChunkComesBeforeDoneAndTheClosingReceiptSaysEstimated() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions", "{\"model\":\"test-chat\",\"stream\":true,"
                + "\"stream_options\":{\"include_usage\":true},\"messages\":[{\"role\":\"user\",\"content\":\"" + MESSAGE
                + "\"}]}");
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = CompatSse.dataPayloads(response.body());
        assertThat(data).last().isEqualTo("[DONE]");
        assertThat(data.stream().filter("[DONE]"::equals)).hasSize(1);
        JsonNode usageChunk = JSON.readTree(data.get(data.size() - 2));
        assertThat(usageChunk.path("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(usageChunk.path("model").asText()).as("the model the client asked for, as in every event").isEqualTo("test-chat");
        assertThat(usageChunk.path("choices").isArray()).isTrue();
        assertThat(usageChunk.path("choices")).isEmpty();
        assertThat(usageChunk.path("usage").path("completion_tokens").asLong()).isEqualTo(O200K.count(ANSWER));
        assertThat(usageChunk.path("usage").path("estimated").asBoolean()).isTrue();

        String receiptHeader = response.headers().firstValue("x-veil-receipt").orElseThrow();
        assertThat(receiptHeader).as("known only at the end of a stream").doesNotContain("usage_estimated");
        String closing = response.body().substring(response.body().lastIndexOf(": veil-receipt ") + 15).trim();
        JsonNode receipt = JSON.readTree(closing);
        assertThat(receipt.path("usage_estimated").asBoolean()).isTrue();
        assertThat(receipt.path("request_id").asText()).isEqualTo(JSON.readTree(receiptHeader).path("request_id").asText());
    }

    @Test
    void aStreamWithoutIncludeUsageIsBilledByVeilsCountAndGetsNoChunk() throws Exception {
        fixture.upstream.extraChunks(17);
        List<ChatCompletionChunk> chunks;
        String requestId;
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw = client.chat().completions().withRawResponse()
                .createStreaming(chat().build());
             StreamResponse<ChatCompletionChunk> stream = raw.parse()) {
            requestId = raw.requestId().orElseThrow();
            chunks = stream.stream().collect(Collectors.toList());
        }
        assertThat(chunks).allSatisfy(c -> assertThat(c.usage()).isEmpty());
        assertThat(chunks).allSatisfy(c -> assertThat(c.choices()).isNotEmpty());
        String text = chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content().orElse(""))
                .collect(Collectors.joining());
        assertThat(text).isEqualTo(ANSWER + "x ".repeat(17));

        RequestRecord row = loggedRequest(requestId);
        assertThat(row.usageEstimated()).isTrue();
        assertThat(row.completionTokens()).isEqualTo(O200K.count(text)).isNotEqualTo(chunks.size());
        assertThat(row.promptTokens()).isEqualTo(promptTokens(MESSAGE));
    }

    @Test
    void aWholeAnswerWithoutUsageIsCountedAndItsReceiptSaysEstimated() throws Exception {
        AtomicReference<String> receipt = new AtomicReference<>();
        ChatCompletion completion;
        String requestId;
        try (var raw = client.chat().completions().withRawResponse().create(chat().build())) {
            receipt.set(raw.headers().values("x-veil-receipt").get(0));
            requestId = raw.requestId().orElseThrow();
            completion = raw.parse();
        }
        assertThat(completion.choices().get(0).message().content()).hasValue(ANSWER);
        assertThat(JSON.readTree(receipt.get()).path("usage_estimated").asBoolean()).isTrue();

        RequestRecord row = loggedRequest(requestId);
        assertThat(row.usageEstimated()).isTrue();
        assertThat(row.promptTokens()).isEqualTo(promptTokens(MESSAGE));
        assertThat(row.completionTokens()).isEqualTo(O200K.count(ANSWER));
    }

    @Test
    void aRouteWithoutAKnownEncodingIsEstimatedFromBytes() throws Exception {
        String input = "sixteen bytes!!!";
        HttpResponse<String> response = fixture.post("/v1/embeddings",
                "{\"model\":\"test-embed\",\"input\":\"" + input + "\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        RequestRecord row = loggedRequest(response.headers().firstValue("x-request-id").orElseThrow());
        assertThat(row.usageEstimated()).isTrue();
        assertThat(row.promptTokens()).isEqualTo(4);
        assertThat(row.completionTokens()).isZero();
    }

    @Test
    void anUpstreamThatReportsUsageIsBilledByItsOwnFigures() throws Exception {
        fixture.upstream.mode(FakeUpstream.Mode.OK);
        String requestId;
        try (HttpResponseFor<StreamResponse<ChatCompletionChunk>> raw = client.chat().completions().withRawResponse()
                .createStreaming(chat().build());
             StreamResponse<ChatCompletionChunk> stream = raw.parse()) {
            requestId = raw.requestId().orElseThrow();
            stream.stream().forEach(c -> { });
        }
        RequestRecord row = loggedRequest(requestId);
        assertThat(row.usageEstimated()).isFalse();
        assertThat(row.promptTokens()).isEqualTo(11);
    }

    /** The request-log row of {@code requestId}, once the metering writer has stored it. */
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
