package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches in a real gateway process: no plaintext byte on disk or in logs while a batch runs and after (a canary in
 * every line, with positive controls); a kill -9 mid-batch and a restart that resumes with every custom_id exactly
 * once and every served line billed exactly once; 50,000 lines streamed through a gateway with a 96 MiB heap.
 */
class BatchProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path work;

    private String yaml(FakeUpstream upstream, Path dataDir, int port, String batch) {
        return GatewayFixture.yaml(upstream.baseUrl(), dataDir, 5_000).replace("port: 0", "port: " + port) + batch;
    }

    private Map<String, String> env(String level) {
        return Map.of("VEIL_LOG_LEVEL", level, "FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
                "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN, "VEIL_MASTER_KEY", GatewayFixture.MASTER_KEY);
    }

    @Test
    @Timeout(180)
    void noPlaintextOnDiskAndKillNineResumesWithEveryLineExactlyOnce() throws Exception {
        String canary = "CANARY" + UUID.randomUUID().toString().replace("-", "");
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path tmpDir = Files.createDirectories(work.resolve("tmp"));
        Path log1 = work.resolve("gateway-1.log");
        Path log2 = work.resolve("gateway-2.log");
        int port = GatewayProcess.freePort();
        int lines = 1200;
        CanaryScanner scanner = new CanaryScanner(canary);
        try (FakeUpstream upstream = FakeUpstream.start()) {
            upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(20);
            Path config = Files.writeString(work.resolve("veil.yaml"), yaml(upstream, dataDir, port,
                    "batch:\n  concurrency: 8\n  chunk_lines: 32\n"));
            List<String> jvm = List.of("-Djava.io.tmpdir=" + tmpDir);
            String origin = "http://127.0.0.1:" + port;
            String key;
            String batchId;
            try (GatewayProcess gateway = GatewayProcess.start(jvm, List.of("serve", "--config", config.toString()),
                    env("TRACE"), log1)) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                key = createKey(origin);
                Path input = work.resolve("input.jsonl");
                try (Writer w = Files.newBufferedWriter(input)) {
                    for (int i = 0; i < lines; i++) {
                        w.write("{\"custom_id\":\"" + canary + "-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                + "\"body\":{\"model\":\"test-chat\",\"user\":\"" + canary + "\",\"messages\":[{\"role\":\"user\","
                                + "\"content\":\"" + canary + " line " + i + "\"}]}}\n");
                    }
                }
                String fileId = upload(origin, key, input, canary + ".jsonl");
                Files.delete(input);
                batchId = createBatch(origin, key, fileId, "{\"note\":\"" + canary + "\"}");
                Eventually.await(Duration.ofSeconds(60), "batch under way", () -> {
                    JsonNode b = get(origin, key, "/v1/batches/" + batchId);
                    return b.path("status").asText().equals("in_progress") && b.path("request_counts").path("completed").asLong() >= 200;
                });
                // DURING the run: the canary is nowhere on disk, in temp files or in the log.
                assertThat(scanner.filesContaining(dataDir)).as("data directory during the run").isEmpty();
                assertThat(scanner.filesContaining(tmpDir)).as("temp directory during the run").isEmpty();
                assertThat(scanner.contains(Files.readString(log1))).as("log during the run").isFalse();
                assertThat(Files.list(dataDir.resolve("files")).count()).as("encrypted files exist").isGreaterThan(0);
                gateway.kill();
            }
            long beforeRestart = upstream.requests().size();
            assertThat(beforeRestart).as("killed mid-batch").isLessThan(lines);

            try (GatewayProcess gateway = GatewayProcess.start(jvm, List.of("serve", "--config", config.toString()),
                    env("TRACE"), log2)) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                JsonNode done = awaitEnd(origin, key, batchId, Duration.ofSeconds(90));
                assertThat(done.path("status").asText()).isEqualTo("completed");
                assertThat(done.path("request_counts").path("completed").asLong()).isEqualTo(lines);
                assertThat(done.path("request_counts").path("failed").asLong()).isZero();
                assertThat(done.path("metadata").path("note").asText()).isEqualTo(canary);
                // AFTER: still no canary anywhere at rest.
                assertThat(scanner.filesContaining(dataDir)).as("data directory after the run").isEmpty();
                assertThat(scanner.filesContaining(tmpDir)).as("temp directory after the run").isEmpty();

                String output = download(origin, key, done.path("output_file_id").asText());
                Set<String> ids = new HashSet<>();
                int count = 0;
                long servedTokens = 0;
                for (String line : output.split("\n")) {
                    if (line.isBlank()) {
                        continue;
                    }
                    count++;
                    JsonNode n = JSON.readTree(line);
                    ids.add(n.path("custom_id").asText());
                    servedTokens += n.path("response").path("body").path("usage").path("total_tokens").asLong();
                    assertThat(n.path("response").path("body").path("choices").path(0).path("message").path("content").asText())
                            .startsWith("echo: " + canary);
                }
                assertThat(count).as("every line exactly once in the output").isEqualTo(lines);
                assertThat(ids).hasSize(lines);
                // Positive controls: the canary reached the upstream and comes back decrypted to the client.
                assertThat(upstream.requests()).anySatisfy(r -> assertThat(r.body()).contains(canary));
                assertThat(scanner.contains(output)).isTrue();
                assertThat(upstream.requests().size()).as("some lines may be called again after the kill, never lost")
                        .isBetween(lines, lines + 2 * 32 + 8);
                // Billing: every served line exactly once, although the kill made some lines run twice upstream. The
                // metering of a chunk commits with its progress, so no flush is needed and none could help.
                JsonNode usage = get(origin, key, "/v1/usage").path("totals");
                assertThat(usage.path("requests").asLong()).as("ledger requests = lines served").isEqualTo(lines);
                assertThat(servedTokens).isPositive();
                assertThat(usage.path("total_tokens").asLong()).as("ledger tokens = tokens served").isEqualTo(servedTokens);
                assertThat(gateway.stop()).isIn(0, 143);
            }
        }
        assertThat(scanner.contains(Files.readString(log1) + Files.readString(log2))).as("canary in the logs").isFalse();
        assertThat(Files.readString(log2)).contains("TRACE").contains("batch_id=");
        assertThat(scanner.filesContaining(dataDir)).isEmpty();
        assertThat(scanner.filesContaining(tmpDir)).isEmpty();
    }

    @Test
    @Timeout(120)
    void fiftyThousandLinesStreamThroughASmallHeap() throws Exception {
        Path dataDir = Files.createDirectories(work.resolve("data"));
        Path log = work.resolve("gateway.log");
        int port = GatewayProcess.freePort();
        int lines = 50_000;
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Path config = Files.writeString(work.resolve("veil.yaml"), yaml(upstream, dataDir, port,
                    "batch:\n  concurrency: 48\n  global_concurrency: 64\n  chunk_lines: 1000\n"));
            try (GatewayProcess gateway = GatewayProcess.start(List.of("-Xmx96m", "-XX:+ExitOnOutOfMemoryError"),
                    List.of("serve", "--config", config.toString()), env("INFO"), log)) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                String origin = "http://127.0.0.1:" + port;
                String key = createKey(origin);
                Path input = work.resolve("big.jsonl");
                try (Writer w = Files.newBufferedWriter(input)) {
                    for (int i = 0; i < lines; i++) {
                        w.write("{\"custom_id\":\"r" + i + "\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
                                + "\"body\":{\"model\":\"test-embed\",\"input\":\"" + "some text to embed ".repeat(12) + i + "\"}}\n");
                    }
                }
                assertThat(Files.size(input)).isGreaterThan(12_000_000L);
                long started = System.nanoTime();
                String fileId = upload(origin, key, input, "big.jsonl");
                String batchId = createBatch(http, origin, key, fileId, "/v1/embeddings");
                JsonNode done = awaitEnd(origin, key, batchId, Duration.ofSeconds(90));
                assertThat(done.path("status").asText()).isEqualTo("completed");
                assertThat(done.path("request_counts").path("completed").asLong()).isEqualTo(lines);
                HttpResponse<InputStream> content = http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/files/"
                        + done.path("output_file_id").asText() + "/content")).header("authorization", "Bearer " + key).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                assertThat(content.statusCode()).isEqualTo(200);
                long count = 0;
                Set<String> ids = new HashSet<>();
                try (BufferedReader reader = new BufferedReader(new InputStreamReader(content.body(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = reader.readLine()) != null) {
                        count++;
                        int at = line.indexOf("\"custom_id\":\"") + 13;
                        ids.add(line.substring(at, line.indexOf('"', at)));
                    }
                }
                assertThat(count).isEqualTo(lines);
                assertThat(ids).hasSize(lines);
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(60));
                assertThat(gateway.stop()).isIn(0, 143);
            }
        }
        assertThat(Files.readString(log)).doesNotContain("OutOfMemoryError");
    }

    // ---- HTTP helpers ----

    private String createKey(String origin) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"batch-test\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        return JSON.readTree(created.body()).path("key").asText();
    }

    /** Uploads a file as multipart/form-data, streamed from disk. */
    static String upload(HttpClient http, String origin, String key, Path file, String name) throws Exception {
        String boundary = "veil" + UUID.randomUUID().toString().replace("-", "");
        byte[] head = ("--" + boundary + "\r\ncontent-disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--" + boundary
                + "\r\ncontent-disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\n"
                + "content-type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/files"))
                .header("authorization", "Bearer " + key)
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
                    try {
                        return new SequenceInputStream(new SequenceInputStream(new ByteArrayInputStream(head),
                                Files.newInputStream(file)), new ByteArrayInputStream(tail));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }), head.length + Files.size(file) + tail.length)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("id").asText();
    }

    private String upload(String origin, String key, Path file, String name) throws Exception {
        return upload(http, origin, key, file, name);
    }

    private String createBatch(String origin, String key, String fileId, String metadata) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/batches"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + fileId + "\",\"endpoint\":"
                        + "\"/v1/chat/completions\",\"completion_window\":\"24h\",\"metadata\":" + metadata + "}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("id").asText();
    }

    static String createBatch(HttpClient http, String origin, String key, String fileId, String endpoint) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/batches"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"" + endpoint
                        + "\",\"completion_window\":\"24h\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body()).path("id").asText();
    }

    private JsonNode get(String origin, String key, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + path))
                .header("authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private JsonNode awaitEnd(String origin, String key, String batchId, Duration timeout) throws Exception {
        JsonNode[] last = new JsonNode[1];
        Eventually.await(timeout, "batch ends", () -> {
            last[0] = get(origin, key, "/v1/batches/" + batchId);
            return Set.of("completed", "failed", "cancelled", "expired").contains(last[0].path("status").asText());
        });
        return last[0];
    }

    private String download(String origin, String key, String fileId) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/files/" + fileId + "/content"))
                .header("authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
