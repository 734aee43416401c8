package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileObject;
import dev.veil.store.RequestRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch of {@code /v1/responses} lines through the openai-java client: lines go to routes that speak the Responses
 * API natively, rewritten as live requests are ({@code store} false, identity removed), billed from their
 * {@code input_tokens}/{@code output_tokens}; a stateless field and a model without such a route fail per line.
 */
@Timeout(60)
class ResponsesBatchTest {

    @TempDir
    static Path dataDir;

    private static GatewayFixture fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.start(dataDir, 3_000, "    apis: [chat, responses]\n", "",
                Map.of("VEIL_MASTER_KEY", GatewayFixture.MASTER_KEY));
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

    private static String line(String customId, String body) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/responses\",\"body\":" + body + "}\n";
    }

    @Test
    void responsesLinesRunNativelyAndAreBilledFromTheirUsage() throws Exception {
        String jsonl = line("ok", "{\"model\":\"test-chat\",\"input\":\"hello batch\",\"store\":true,\"user\":\"u-4711\"}")
                + line("stateful", "{\"model\":\"test-chat\",\"input\":\"again\",\"previous_response_id\":\"resp_1\"}")
                + line("chat-only", "{\"model\":\"test-unreachable\",\"input\":\"hi\"}");
        FileObject file = BatchApiTest.upload(client, jsonl);
        Batch done = BatchApiTest.await(client, client.batches().create(BatchCreateParams.builder()
                .inputFileId(file.id()).endpoint(BatchCreateParams.Endpoint.V1_RESPONSES)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        assertThat(done.status().asString()).isEqualTo("completed");
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(1);
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(2);

        List<JsonNode> output = BatchApiTest.lines(BatchApiTest.content(client, done.outputFileId().orElseThrow()));
        JsonNode body = output.get(0).path("response").path("body");
        assertThat(body.path("object").asText()).isEqualTo("response");
        assertThat(body.path("output").path(0).path("content").path(0).path("text").asText()).isEqualTo("echo: hello batch");

        List<JsonNode> errors = BatchApiTest.lines(BatchApiTest.content(client, done.errorFileId().orElseThrow()));
        assertThat(errors).extracting(e -> e.path("custom_id").asText() + ":" + e.path("error").path("code").asText())
                .containsExactlyInAnyOrder("stateful:stateless_gateway", "chat-only:unsupported_endpoint");

        assertThat(fixture.upstream.requests()).hasSize(1);
        FakeUpstream.Recorded sent = fixture.upstream.lastRequest();
        assertThat(sent.path()).isEqualTo("/v1/responses");
        assertThat(sent.json().path("store").asBoolean(true)).isFalse();
        assertThat(sent.body()).doesNotContain("u-4711");

        String requestId = output.get(0).path("response").path("request_id").asText();
        RequestRecord row = fixture.gateway.store().requests().recentForKey(fixture.keyId, 1_000).stream()
                .filter(r -> r.requestId().equals(requestId)).findFirst().orElseThrow();
        assertThat(row.endpoint()).isEqualTo("batch.responses");
        assertThat(row.promptTokens()).isEqualTo(FakeResponses.INPUT_TOKENS);
        assertThat(row.completionTokens()).isEqualTo(3);
        assertThat(row.usageEstimated()).isFalse();
    }
}
