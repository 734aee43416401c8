package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.files.FileObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batch lines get the live relay's protection from misbehaving upstreams: an answer that stalls mid-body ends in
 * {@code upstream_timeout} (the batch would never finish without it), a malformed 2xx is an error line, not an output.
 */
@Timeout(90)
class BatchHostileUpstreamTest {

    @TempDir
    Path dataDir;

    @Test
    void stalledAndMalformedAnswersBecomeErrorLinesAndTheBatchCompletes() throws Exception {
        try (GatewayFixture fixture = GatewayFixture.withBatches(dataDir, "routing: {backoff_ms: 1}\n")) {
            OpenAIClient client = fixture.openAiClient(fixture.apiKey);
            fixture.upstream.custom((request, body) -> {
                String text = body.toString();
                var response = request.response().setChunked(true).putHeader("content-type", "application/json");
                if (text.contains("stall")) {
                    response.write("{\"id\":\"x\",");
                } else if (text.contains("html")) {
                    response.putHeader("content-type", "text/html").end("<html>busy</html>");
                } else {
                    response.end("{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}");
                }
            });
            String jsonl = String.join("\n", BatchApiTest.chatLine("ok", "fine"), BatchApiTest.chatLine("stalls", "stall"),
                    BatchApiTest.chatLine("html", "html")) + "\n";
            FileObject file = BatchApiTest.upload(client, jsonl);
            Batch done = BatchApiTest.await(client, client.batches().create(BatchCreateParams.builder()
                    .inputFileId(file.id()).endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
            assertThat(done.status().asString()).isEqualTo("completed");
            assertThat(BatchApiTest.lines(BatchApiTest.content(client, done.outputFileId().orElseThrow())))
                    .extracting(n -> n.path("custom_id").asText()).containsExactly("ok");
            List<JsonNode> errors = BatchApiTest.lines(BatchApiTest.content(client, done.errorFileId().orElseThrow()));
            Map<String, String> codes = errors.stream().collect(Collectors.toMap(e -> e.path("custom_id").asText(),
                    e -> e.path("response").path("body").path("error").path("code").asText()));
            assertThat(codes).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "stalls", "upstream_timeout", "html", "upstream_invalid_response"));
            client.close();
        }
    }
}
