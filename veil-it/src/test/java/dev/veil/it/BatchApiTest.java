package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileDeleted;
import com.openai.models.files.FileListParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.gateway.batch.files.DeletionReceipts;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import dev.veil.store.RequestRecord;
import dev.veil.tokens.Tokenizer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Files and Batches API end to end, through the official openai-java client where it has the call: upload,
 * create, retrieve, list, cancel, download, delete with a verifiable deletion receipt; per-line validation errors;
 * policy refusals; key isolation; time to live.
 */
class BatchApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DOWNLOAD_IDLE_MS = 2_000;

    @TempDir
    static Path dataDir;

    private static GatewayFixture fixture;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.withBatches(dataDir, "batch:\n  download_idle_timeout_ms: " + DOWNLOAD_IDLE_MS + "\n");
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

    static String chatLine(String customId, String text) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}}";
    }

    static FileObject upload(OpenAIClient c, String jsonl) {
        return c.files().create(FileCreateParams.builder().file(jsonl.getBytes(StandardCharsets.UTF_8))
                .purpose(FilePurpose.BATCH).build());
    }

    static Batch await(OpenAIClient c, String id) throws Exception {
        Batch[] last = new Batch[1];
        Eventually.await(Duration.ofSeconds(30), "batch " + id + " ends", () -> {
            last[0] = c.batches().retrieve(id);
            String s = last[0].status().asString();
            return s.equals("completed") || s.equals("failed") || s.equals("cancelled") || s.equals("expired");
        });
        return last[0];
    }

    static String content(OpenAIClient c, String fileId) throws Exception {
        try (HttpResponse response = c.files().content(fileId)) {
            return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static List<JsonNode> lines(String jsonl) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Test
    void linesWhoseAnswersCarryNoUsageAreBilledByVeilsCountMarkedEstimated() throws Exception {
        fixture.upstream.mode(FakeUpstream.Mode.NO_USAGE);
        String text = "count the tokens of this batch line";
        FileObject file = upload(client, chatLine("only", text) + "\n");
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        assertThat(done.status().asString()).isEqualTo("completed");
        String requestId = lines(content(client, done.outputFileId().orElseThrow())).get(0)
                .path("response").path("request_id").asText();

        RequestRecord row = fixture.gateway.store().requests().recentForKey(fixture.keyId, 1_000).stream()
                .filter(r -> r.requestId().equals(requestId)).findFirst().orElseThrow();
        Tokenizer o200k = Tokenizer.named("o200k_base").orElseThrow();
        assertThat(row.usageEstimated()).isTrue();
        assertThat(row.promptTokens()).isEqualTo(3 + o200k.count("user") + o200k.count(text) + 3);
        assertThat(row.completionTokens()).isEqualTo(o200k.count("echo: " + text));
    }

    @Test
    void wholeLifecycleThroughTheOpenAiClient() throws Exception {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            jsonl.append(chatLine("req-" + i, "hello number " + i)).append('\n');
        }
        FileObject file = upload(client, jsonl.toString());
        assertThat(file.id()).startsWith("file-");
        assertThat(file.bytes()).isEqualTo(jsonl.toString().getBytes(StandardCharsets.UTF_8).length);
        assertThat(file.purpose().asString()).isEqualTo("batch");
        assertThat(client.files().retrieve(file.id()).filename()).isNotBlank();
        assertThat(client.files().list(FileListParams.builder().purpose("batch").build()).data())
                .extracting(FileObject::id).contains(file.id());

        Batch created = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty("job", JsonValue.from("nightly")).build())
                .build());
        assertThat(created.id()).startsWith("batch_");
        assertThat(created.status().asString()).isIn("validating", "in_progress");
        Batch done = await(client, created.id());
        assertThat(done.status().asString()).isEqualTo("completed");
        assertThat(done.requestCounts().orElseThrow().total()).isEqualTo(150);
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(150);
        assertThat(done.requestCounts().orElseThrow().failed()).isZero();
        assertThat(done.inProgressAt()).isPresent();
        assertThat(done.finalizingAt()).isPresent();
        assertThat(done.completedAt()).isPresent();
        assertThat(done.errorFileId()).as("no failed line, no error file").isEmpty();
        assertThat(done.metadata().orElseThrow()._additionalProperties().get("job")).isEqualTo(JsonValue.from("nightly"));
        assertThat(client.batches().list(BatchListParams.builder().build()).data()).extracting(Batch::id).contains(created.id());

        List<JsonNode> output = lines(content(client, done.outputFileId().orElseThrow()));
        assertThat(output).hasSize(150);
        assertThat(output).extracting(n -> n.path("custom_id").asText()).doesNotHaveDuplicates();
        JsonNode first = output.stream().filter(n -> n.path("custom_id").asText().equals("req-7")).findFirst().orElseThrow();
        assertThat(first.path("id").asText()).startsWith("batch_req_");
        assertThat(first.path("response").path("status_code").asInt()).isEqualTo(200);
        assertThat(first.path("response").path("request_id").asText()).startsWith("req_");
        assertThat(first.path("response").path("body").path("choices").path(0).path("message").path("content").asText())
                .isEqualTo("echo: hello number 7");
        assertThat(first.path("error").isNull()).isTrue();
        assertThat(fixture.upstream.requests()).hasSize(150);
        assertThat(fixture.upstream.lastRequest().json().path("model").asText()).isEqualTo("upstream-chat");

        // The input is shredded when the batch ends; a client that cleans up after its batch still gets a successful
        // delete (with the receipt of that shredding), not a 404.
        assertThatThrownBy(() -> client.files().retrieve(file.id())).isInstanceOf(NotFoundException.class);
        assertThat(client.files().delete(file.id()).deleted()).isTrue();
        // Usage is metered per line, under the batch label, without content.
        fixture.gateway.flushMetering();
        assertThat(fixture.get("/v1/usage").body()).contains("\"requests\":150");

        // Delete the output: a signed receipt naming the destroyed key; then the content is gone.
        String outputId = done.outputFileId().orElseThrow();
        FileDeleted deleted = client.files().delete(outputId);
        assertThat(deleted.deleted()).isTrue();
        assertThat(client.files().list().data()).extracting(FileObject::id).doesNotContain(outputId);
        assertThatThrownBy(() -> content(client, outputId)).isInstanceOf(NotFoundException.class);
    }

    @Test
    void deletionReceiptsVerifyWithThePublishedKeyAndTheKeyRowIsGone() throws Exception {
        FileObject file = upload(client, chatLine("a", "x") + "\n");
        String keyRef = fixture.gateway.store().batchFiles().findKey(file.id()).orElseThrow().keyRef();
        var response = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files/" + file.id()))
                .header("authorization", "Bearer " + fixture.apiKey).DELETE());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("deleted").asBoolean()).isTrue();
        JsonNode receipt = body.path("veil_deletion_receipt");
        assertThat(receipt.path("file_id").asText()).isEqualTo(file.id());
        assertThat(receipt.path("key_id_sha256").asText()).isEqualTo(DeletionReceipts.keyIdHash(keyRef));
        assertThat(receipt.path("deleted_at").asLong()).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(5L));

        JsonNode published = JSON.readTree(fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/receipts/key"))
                .GET()).body());
        byte[] publicKey = Base64.getUrlDecoder().decode(published.path("public_key").asText());
        byte[] signature = Base64.getUrlDecoder().decode(receipt.path("signature").asText());
        byte[] message = (DeletionReceipts.DOMAIN + "\n" + file.id() + "\n" + receipt.path("deleted_at").asLong() + "\n"
                + receipt.path("key_id_sha256").asText()).getBytes(StandardCharsets.UTF_8);
        assertThat(SigningKey.verify(publicKey, message, signature)).isTrue();
        message[message.length - 1] ^= 1;
        assertThat(SigningKey.verify(publicKey, message, signature)).as("a changed receipt fails").isFalse();

        assertThat(fixture.gateway.store().batchFiles().findKey(file.id())).as("the data key row is gone").isEmpty();
        assertThat(fixture.gateway.store().batchFiles().find(file.id())).isEmpty();
        assertThat(Files.exists(dataDir.resolve("files").resolve(file.id()))).as("the bytes are gone").isFalse();
        assertThat(fixture.get("/v1/files/" + file.id() + "/content").statusCode()).isEqualTo(404);
        // Deleting it again repeats the same receipt; for another key the file does not exist.
        var again = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files/" + file.id()))
                .header("authorization", "Bearer " + fixture.apiKey).DELETE());
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(again.body()).path("veil_deletion_receipt")).isEqualTo(receipt);
        IssuedKey other = ApiKeyIssuer.issue("other-deleter", Instant.now());
        fixture.gateway.store().apiKeys().insert(other.record());
        assertThat(fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files/" + file.id()))
                .header("authorization", "Bearer " + other.secret()).DELETE()).statusCode()).isEqualTo(404);
    }

    @Test
    void malformedLinesAreReportedPerLineWhileGoodLinesComplete() throws Exception {
        String jsonl = String.join("\n",
                chatLine("good-1", "one"),
                "{not json",
                "{\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"test-chat\",\"messages\":[]}}",
                chatLine("good-1", "again"),
                "{\"custom_id\":\"wrong-url\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"test-chat\",\"messages\":[]}}",
                "",
                "{\"custom_id\":\"streams\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"test-chat\",\"stream\":true,\"messages\":[]}}",
                "{\"custom_id\":\"no-model\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"nope\",\"messages\":[]}}",
                chatLine("good-2", "two")) + "\n";
        FileObject file = upload(client, jsonl);
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        assertThat(done.status().asString()).isEqualTo("completed");
        assertThat(done.requestCounts().orElseThrow().total()).isEqualTo(8);
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(2);
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(6);
        assertThat(lines(content(client, done.outputFileId().orElseThrow()))).extracting(n -> n.path("custom_id").asText())
                .containsExactlyInAnyOrder("good-1", "good-2");
        List<JsonNode> errors = lines(content(client, done.errorFileId().orElseThrow()));
        assertThat(errors).hasSize(6);
        assertThat(errors).allSatisfy(e -> {
            assertThat(e.path("response").isNull()).isTrue();
            assertThat(e.path("id").asText()).startsWith("batch_req_");
        });
        assertThat(errors).extracting(e -> e.path("error").path("line").asInt() + ":" + e.path("error").path("code").asText()
                        + ":" + e.path("error").path("param").asText())
                .containsExactlyInAnyOrder("2:invalid_json:null", "3:missing_required_parameter:custom_id",
                        "4:duplicate_custom_id:custom_id", "5:invalid_value:url", "7:invalid_value:body.stream",
                        "8:model_not_found:body.model");
        assertThat(fixture.upstream.requests()).hasSize(2);
    }

    @Test
    void aBatchPrivacyPolicyNoRouteMeetsIsRefusedPerLine() throws Exception {
        FileObject file = upload(client, chatLine("p1", "x") + "\n" + chatLine("p2", "y") + "\n");
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder()
                        .putAdditionalProperty("privacy", JsonValue.from("{\"min_mode\":\"tee\"}")).build())
                .build()).id());
        assertThat(done.status().asString()).isEqualTo("completed");
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(2);
        assertThat(done.outputFileId()).isEmpty();
        List<JsonNode> errors = lines(content(client, done.errorFileId().orElseThrow()));
        assertThat(errors).hasSize(2).allSatisfy(e -> {
            assertThat(e.path("response").path("status_code").asInt()).isEqualTo(403);
            assertThat(e.path("response").path("body").path("error").path("code").asText()).isEqualTo("no_compliant_route");
            assertThat(e.path("response").path("body").path("error").path("excluded").path(0).path("constraint").asText())
                    .isEqualTo("privacy.min_mode");
        });
        assertThat(fixture.upstream.requests()).as("fails closed: nothing sent").isEmpty();

        var bad = fixture.post("/v1/batches", "{\"input_file_id\":\"" + upload(client, chatLine("q", "x")).id()
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":{\"privacy\":{\"min_mode\":\"best\"}}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").path("param").asText()).isEqualTo("metadata.privacy.min_mode");
    }

    @Test
    void aKeySeesOnlyItsOwnFilesAndBatches() throws Exception {
        IssuedKey other = ApiKeyIssuer.issue("other", Instant.now());
        fixture.gateway.store().apiKeys().insert(other.record());
        FileObject mine = upload(client, chatLine("m", "x") + "\n");
        Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(upload(client, chatLine("n", "x")).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
        OpenAIClient theirs = fixture.openAiClient(other.secret());
        try {
            assertThatThrownBy(() -> theirs.files().retrieve(mine.id())).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> content(theirs, mine.id())).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> theirs.files().delete(mine.id())).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> theirs.batches().retrieve(batch.id())).isInstanceOf(NotFoundException.class);
            assertThatThrownBy(() -> theirs.batches().cancel(batch.id())).isInstanceOf(NotFoundException.class);
            assertThat(theirs.files().list().data()).isEmpty();
            assertThat(theirs.batches().list().data()).isEmpty();
            assertThatThrownBy(() -> theirs.batches().create(BatchCreateParams.builder().inputFileId(mine.id())
                    .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                    .completionWindow(BatchCreateParams.CompletionWindow._24H).build())).isInstanceOf(NotFoundException.class);
        } finally {
            theirs.close();
        }
        assertThat(client.files().retrieve(mine.id()).id()).isEqualTo(mine.id());
    }

    @Test
    void cancellingStopsTheBatchAndKeepsWhatIsDone() throws Exception {
        fixture.upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(400);
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            jsonl.append(chatLine("c-" + i, "x")).append('\n');
        }
        Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(upload(client, jsonl.toString()).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
        Eventually.await(Duration.ofSeconds(10), "requests in flight", () -> !fixture.upstream.requests().isEmpty());
        Batch cancelling = client.batches().cancel(batch.id());
        assertThat(cancelling.status().asString()).isIn("cancelling", "cancelled");
        assertThat(cancelling.cancellingAt()).isPresent();
        Batch done = await(client, batch.id());
        assertThat(done.status().asString()).isEqualTo("cancelled");
        assertThat(done.cancelledAt()).isPresent();
        assertThat(fixture.upstream.requests().size()).as("no line after the cancel started").isLessThanOrEqualTo(8);
        assertThat(done.requestCounts().orElseThrow().completed()).as("in-flight lines finish and are kept")
                .isEqualTo(fixture.upstream.requests().size());
        assertThat(lines(content(client, done.outputFileId().orElseThrow()))).hasSize(fixture.upstream.requests().size());
        var again = fixture.post("/v1/batches/" + batch.id() + "/cancel", "");
        assertThat(again.statusCode()).isEqualTo(200);
    }

    @Test
    void refusesBadUploadsAndBatchesClearly() throws Exception {
        String boundary = "b0undary";
        String body = "--" + boundary + "\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary
                + "\r\ncontent-disposition: form-data; name=\"file\"; filename=\"x.jsonl\"\r\ncontent-type: application/jsonl\r\n\r\n"
                + chatLine("a", "b") + "\n\r\n--" + boundary + "--\r\n";
        var response = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files"))
                .header("authorization", "Bearer " + fixture.apiKey)
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").path("param").asText()).isEqualTo("purpose");
        var create = fixture.post("/v1/batches", "{\"input_file_id\":\"file-000000000000000000000000\","
                + "\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertThat(create.statusCode()).isEqualTo(404);
        var window = fixture.post("/v1/batches", "{\"input_file_id\":\"x\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"1h\"}");
        assertThat(JSON.readTree(window.body()).path("error").path("param").asText()).isEqualTo("completion_window");
        Eventually.await(Duration.ofSeconds(5), "refused upload removed", () -> {
            try (Stream<Path> files = Files.list(dataDir.resolve("files"))) {
                return files.noneMatch(p -> fixture.gateway.store().batchFiles().find(p.getFileName().toString()).isEmpty());
            }
        });
    }

    @Test
    void clientsThatNeverReadADownloadHoldNoWorkerAndAreDisconnected(@TempDir Path tmp) throws Exception {
        // Larger than what the kernel buffers of a connection can hold (a few MiB each way), so the download stalls.
        Path big = tmp.resolve("big.jsonl");
        try (var w = Files.newBufferedWriter(big)) {
            for (int i = 0; i < 120_000; i++) {
                w.write(chatLine("big-" + i, "some words to make the line longer, number " + i));
                w.write('\n');
            }
        }
        long size = Files.size(big);
        assertThat(size).isGreaterThan(20_000_000L);
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String bigId = BatchProcessTest.upload(http, fixture.origin(), fixture.apiKey, big, "big.jsonl");

        // More stalled downloads than the gateway has download workers (4): clients that never read a byte.
        List<java.net.Socket> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                java.net.Socket socket = new java.net.Socket();
                socket.setReceiveBufferSize(4096);
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", fixture.gateway.port()), 5_000);
                socket.getOutputStream().write(("GET /v1/files/" + bigId + "/content HTTP/1.1\r\nhost: 127.0.0.1\r\n"
                        + "authorization: Bearer " + fixture.apiKey + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                socket.getOutputStream().flush();
                stalled.add(socket);
            }
            Thread.sleep(500); // let every stalled download start and fill its buffers

            // Another key's download completes meanwhile (it waited a minute when stalled clients held the workers).
            IssuedKey other = ApiKeyIssuer.issue("downloader", Instant.now());
            fixture.gateway.store().apiKeys().insert(other.record());
            OpenAIClient theirs = fixture.openAiClient(other.secret());
            try {
                String small = chatLine("s", "small file") + "\n";
                FileObject file = upload(theirs, small);
                var response = http.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files/" + file.id()
                                + "/content")).header("authorization", "Bearer " + other.secret())
                        .timeout(Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).isEqualTo(small);
            } finally {
                theirs.close();
            }

            // The stalled clients are disconnected after batch.download_idle_timeout_ms without progress: reading
            // after that drains what was buffered and then ends, short of the whole file.
            Thread.sleep(DOWNLOAD_IDLE_MS + 1_500);
            for (java.net.Socket socket : stalled) {
                socket.setSoTimeout(30_000);
                long received = 0;
                byte[] buffer = new byte[64 * 1024];
                try (var in = socket.getInputStream()) {
                    int n;
                    while ((n = in.read(buffer)) >= 0) {
                        received += n;
                    }
                } catch (java.net.SocketTimeoutException e) {
                    throw new AssertionError("a stalled download was never closed (" + received + " of " + size
                            + " bytes received)", e);
                } catch (java.io.IOException e) {
                    // reset by the gateway: also an end
                }
                assertThat(received).as("a stalled download ends early").isLessThan(size);
            }
        } finally {
            for (java.net.Socket socket : stalled) {
                socket.close();
            }
        }
        // The owner can still download the whole file.
        var whole = http.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files/" + bigId + "/content"))
                .header("authorization", "Bearer " + fixture.apiKey).timeout(Duration.ofSeconds(60)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofInputStream());
        assertThat(whole.statusCode()).isEqualTo(200);
        try (var in = whole.body()) {
            assertThat(in.transferTo(java.io.OutputStream.nullOutputStream())).isEqualTo(size);
        }
    }

    @Test
    void aLineOverTheLineCapFailsAloneWithAClearError() throws Exception {
        // The fixture's server.max_body_bytes (64 KiB) caps batch lines below the 8 MiB default of batch.max_line_bytes.
        String jsonl = chatLine("too-long", "x".repeat(100_000)) + "\n" + chatLine("fine", "short") + "\n";
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(upload(client, jsonl).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        assertThat(done.status().asString()).isEqualTo("completed");
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(1);
        assertThat(done.requestCounts().orElseThrow().failed()).isEqualTo(1);
        List<JsonNode> errors = lines(content(client, done.errorFileId().orElseThrow()));
        assertThat(errors).singleElement().satisfies(e -> {
            assertThat(e.path("error").path("code").asText()).isEqualTo("request_too_large");
            assertThat(e.path("error").path("line").asInt()).isEqualTo(1);
            assertThat(e.path("error").path("message").asText()).contains("65536").doesNotContain("xxxx");
        });
        assertThat(fixture.upstream.requests()).hasSize(1);
    }

    @Test
    void aLinesBodyReachesTheUpstreamAsWritten() throws Exception {
        // Numbers that a re-serialisation would change (rounded, or turned into the string "Infinity") must reach the
        // upstream byte for byte, as on the live path.
        String jsonl = "{\"custom_id\":\"exact\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
                + "{\"model\":\"test-chat\",\"temperature\":0.30000000000000000000000000001,\"max_tokens\":1e400,"
                + "\"logit_bias\":{\"n\":-0.0},\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n";
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(upload(client, jsonl).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        assertThat(done.requestCounts().orElseThrow().completed()).isEqualTo(1);
        String received = fixture.upstream.lastRequest().body();
        assertThat(received).contains("\"temperature\":0.30000000000000000000000000001", "\"max_tokens\":1e400",
                "\"logit_bias\":{\"n\":-0.0}").contains("\"model\":\"upstream-chat\"");
    }

    /** A multipart upload of one line with the given extra form fields. */
    private static java.net.http.HttpResponse<String> uploadWithFields(String... fields) {
        String boundary = "b0undary";
        StringBuilder body = new StringBuilder("--" + boundary + "\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\n"
                + "batch\r\n");
        for (int i = 0; i < fields.length; i += 2) {
            body.append("--").append(boundary).append("\r\ncontent-disposition: form-data; name=\"").append(fields[i])
                    .append("\"\r\n\r\n").append(fields[i + 1]).append("\r\n");
        }
        body.append("--").append(boundary).append("\r\ncontent-disposition: form-data; name=\"file\"; filename=\"x.jsonl\"\r\n"
                + "content-type: application/jsonl\r\n\r\n").append(chatLine("e", "x")).append("\n\r\n--").append(boundary)
                .append("--\r\n");
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/files"))
                .header("authorization", "Bearer " + fixture.apiKey)
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    @Test
    void expiryOutsideOpenAisRangeIsA400NamingTheParameter() throws Exception {
        for (String seconds : List.of("99999999999999999999", "9223372036854775807", "59", "2592001", "3600.5", "soon")) {
            var refused = uploadWithFields("expires_after[anchor]", "created_at", "expires_after[seconds]", seconds);
            assertThat(refused.statusCode()).as(seconds).isEqualTo(400);
            assertThat(JSON.readTree(refused.body()).path("error").path("param").asText()).isEqualTo("expires_after[seconds]");
        }
        var anchor = uploadWithFields("expires_after[anchor]", "last_active_at", "expires_after[seconds]", "3600");
        assertThat(JSON.readTree(anchor.body()).path("error").path("param").asText()).isEqualTo("expires_after[anchor]");
        var accepted = uploadWithFields("expires_after[anchor]", "created_at", "expires_after[seconds]", "3600");
        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
        JsonNode file = JSON.readTree(accepted.body());
        assertThat(file.path("expires_at").asLong() - file.path("created_at").asLong()).isEqualTo(3600);

        for (String seconds : List.of("9223372036854775807", "1e30", "3600.5", "\"3600\"", "60")) {
            var batch = fixture.post("/v1/batches", "{\"input_file_id\":\"" + upload(client, chatLine("o", "x")).id()
                    + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\","
                    + "\"output_expires_after\":{\"anchor\":\"created_at\",\"seconds\":" + seconds + "}}");
            assertThat(batch.statusCode()).as(seconds).isEqualTo(400);
            assertThat(JSON.readTree(batch.body()).path("error").path("param").asText())
                    .isEqualTo("output_expires_after.seconds");
        }
    }

    @Test
    void outputsExpireAfterTheirTimeToLive() throws Exception {
        FileObject file = upload(client, chatLine("t", "x") + "\n");
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build()).id());
        String output = done.outputFileId().orElseThrow();
        FileObject shown = client.files().retrieve(output);
        assertThat(shown.expiresAt().orElseThrow()).isCloseTo(done.completedAt().orElseThrow() + 24 * 3600,
                org.assertj.core.data.Offset.offset(5L));
        // The job deletes the input just after the batch shows as completed: let it, so the sweep has nothing to do.
        Eventually.await(Duration.ofSeconds(5), "input deleted as the batch ended",
                () -> fixture.gateway.store().batchFiles().find(file.id()).isEmpty());
        assertThat(fixture.gateway.sweepBatches()).as("nothing due yet").isZero();
        // Time passes: move the expiry into the past, as the sweeper will see it after 24 h.
        try (var c = fixture.gateway.store().dataSource().getConnection();
             var s = c.prepareStatement("UPDATE batch_files SET expires_at = 1 WHERE id = ?")) {
            s.setString(1, output);
            s.executeUpdate();
        }
        assertThat(fixture.gateway.sweepBatches()).isEqualTo(1);
        assertThatThrownBy(() -> client.files().retrieve(output)).isInstanceOf(NotFoundException.class);
        assertThat(fixture.gateway.store().batchFiles().findKey(output)).isEmpty();
        assertThat(Files.exists(dataDir.resolve("files").resolve(output))).isFalse();
    }

    @Test
    void clientHeldKeysKeepResultsUnreadableToTheOperator() throws Exception {
        dev.veil.client.batch.ClientKey clientKey = dev.veil.client.batch.ClientKey.generate();
        String jsonl = chatLine("s1", "secret one") + "\n" + chatLine("s2", "secret two") + "\n" + "{broken\n";
        Batch done = await(client, client.batches().create(BatchCreateParams.builder().inputFileId(upload(client, jsonl).id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder().putAdditionalProperty("veil_client_public_key",
                        JsonValue.from(clientKey.publicKeyText())).build())
                .build()).id());
        assertThat(done.status().asString()).isEqualTo("completed");
        byte[] sealed;
        try (HttpResponse response = client.files().content(done.outputFileId().orElseThrow())) {
            assertThat(response.headers().values("x-veil-client-sealed")).containsExactly("v1");
            sealed = response.body().readAllBytes();
        }
        String asText = new String(sealed, StandardCharsets.ISO_8859_1);
        assertThat(asText).as("the operator serves ciphertext only").doesNotContain("custom_id").doesNotContain("secret");
        assertThat(asText).startsWith("VBC1");
        // Not decryptable with another key (nor by the operator, who never had the private key).
        assertThatThrownBy(() -> dev.veil.client.batch.BatchResults.decrypt(new java.io.ByteArrayInputStream(sealed),
                dev.veil.client.batch.ClientKey.generate().privateKey()).readAllBytes()).isInstanceOf(java.io.IOException.class);
        String plain = new String(dev.veil.client.batch.BatchResults.decrypt(new java.io.ByteArrayInputStream(sealed),
                clientKey.privateKey()).readAllBytes(), StandardCharsets.UTF_8);
        assertThat(lines(plain)).extracting(n -> n.path("response").path("body").path("choices").path(0).path("message")
                .path("content").asText()).containsExactlyInAnyOrder("echo: secret one", "echo: secret two");
        byte[] errors;
        try (HttpResponse response = client.files().content(done.errorFileId().orElseThrow())) {
            errors = response.body().readAllBytes();
        }
        assertThat(lines(new String(dev.veil.client.batch.BatchResults.decrypt(new java.io.ByteArrayInputStream(errors),
                clientKey.privateKey()).readAllBytes(), StandardCharsets.UTF_8)))
                .singleElement().satisfies(e -> assertThat(e.path("error").path("line").asInt()).isEqualTo(3));
        assertThat(client.files().retrieve(done.outputFileId().orElseThrow()).bytes()).isEqualTo(sealed.length);
        var bad = fixture.post("/v1/batches", "{\"input_file_id\":\"" + upload(client, chatLine("k", "x")).id()
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\","
                + "\"metadata\":{\"veil_client_public_key\":\"c2hvcnQ\"}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(bad.body()).path("error").path("param").asText()).isEqualTo("metadata.veil_client_public_key");
    }

    @Test
    void withoutAMasterKeyTheBatchApiAnswers503AndTheRestRuns(@TempDir Path otherDir) throws Exception {
        try (GatewayFixture plain = GatewayFixture.start(otherDir)) {
            var files = plain.get("/v1/files");
            assertThat(files.statusCode()).isEqualTo(503);
            JsonNode error = JSON.readTree(files.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("batch_disabled");
            assertThat(error.path("message").asText()).contains("VEIL_MASTER_KEY").contains("master_key_file");
            assertThat(plain.post("/v1/batches", "{}").statusCode()).isEqualTo(503);
            assertThat(plain.post("/v1/chat/completions", "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"hi\"}]}").statusCode()).isEqualTo(200);
        }
    }
}
