package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Batches across instances, as an operator runs them: three {@code veil serve} processes on one PostgreSQL with
 * {@code batch.storage: database}. A 1,200-line batch is uploaded to one instance and created on another; when it is
 * well under way, the instance holding its lease (read from the store) is killed with kill -9. Another instance takes
 * the batch over once the lease lapses and finishes it: every custom_id exactly once in the output, every line billed
 * once, and the canary marker in every line on no disk (no instance's data or temp directory, nor PostgreSQL's own data
 * directory), while positive controls show it reached the upstream and comes back decrypted.
 */
class BatchFailoverProcessTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LINES = 1200;
    private static final int CHUNK_LINES = 32;
    private static final int CONCURRENCY = 4;
    private static final long LEASE_MS = 3_000;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path work;

    @Test
    @Timeout(150)
    void aBatchWhoseHolderIsKilledIsFinishedByAnotherInstanceWithEveryLineOnce() throws Exception {
        String canary = "CANARY" + UUID.randomUUID().toString().replace("-", "");
        CanaryScanner scanner = new CanaryScanner(canary);
        Path pgData = work.resolve("postgres");
        List<Path> dataDirs = new ArrayList<>();
        List<Path> tmpDirs = new ArrayList<>();
        List<Path> logs = new ArrayList<>();
        try (FakeUpstream upstream = FakeUpstream.start()) {
            // Slow enough that the kill lands mid-batch: about 4 lines per 25 ms, some 8 s for the whole batch.
            upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(25);
            try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setDataDirectory(pgData)
                    .setCleanDataDirectory(false).start()) {
                try (Connection connection = postgres.getPostgresDatabase().getConnection();
                     Statement statement = connection.createStatement()) {
                    statement.execute("CREATE DATABASE veil_batches");
                }
                String jdbcUrl = postgres.getJdbcUrl("postgres", "veil_batches");
                DataSource db = postgres.getDatabase("postgres", "veil_batches");
                List<Integer> ports = List.of(GatewayProcess.freePort(), GatewayProcess.freePort(), GatewayProcess.freePort());
                List<GatewayProcess> gateways = new ArrayList<>();
                try {
                    for (int i = 0; i < ports.size(); i++) {
                        Path dataDir = Files.createDirectories(work.resolve("instance-" + i));
                        Path tmpDir = Files.createDirectories(work.resolve("tmp-" + i));
                        dataDirs.add(dataDir);
                        tmpDirs.add(tmpDir);
                        logs.add(work.resolve("gateway-" + i + ".log"));
                        String yaml = GatewayFixture.yaml(upstream.baseUrl(), dataDir, 5_000)
                                .replace("port: 0", "port: " + ports.get(i))
                                .replace("store:\n", "store:\n  jdbc_url: " + jdbcUrl + "\n")
                                + "batch:\n  storage: database\n  lease_ms: " + LEASE_MS + "\n  claim_interval_ms: 500\n"
                                + "  concurrency: " + CONCURRENCY + "\n  chunk_lines: " + CHUNK_LINES + "\n";
                        Path config = Files.writeString(work.resolve("veil-" + i + ".yaml"), yaml);
                        // Started together: they migrate the empty database once between them.
                        gateways.add(GatewayProcess.start(List.of("-XX:TieredStopAtLevel=1", "-Djava.io.tmpdir=" + tmpDir),
                                List.of("serve", "--config", config.toString()), env(), logs.get(i)));
                    }
                    for (int i = 0; i < ports.size(); i++) {
                        gateways.get(i).awaitHealthy(ports.get(i), Duration.ofSeconds(90));
                    }
                    List<String> origins = ports.stream().map(p -> "http://127.0.0.1:" + p).toList();
                    String key = createKey(origins.get(0));

                    Path input = work.resolve("input.jsonl");
                    try (Writer w = Files.newBufferedWriter(input)) {
                        for (int i = 0; i < LINES; i++) {
                            w.write("{\"custom_id\":\"" + canary + "-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                                    + "\"body\":{\"model\":\"test-chat\",\"user\":\"" + canary + "\",\"messages\":[{\"role\":\"user\","
                                    + "\"content\":\"" + canary + " line " + i + "\"}]}}\n");
                        }
                    }
                    // Uploaded to one instance, used from another: the file is in the shared store.
                    String fileId = BatchProcessTest.upload(http, origins.get(0), key, input, canary + ".jsonl");
                    Files.delete(input);
                    String batchId = BatchProcessTest.createBatch(http, origins.get(1), key, fileId, "/v1/chat/completions");

                    Eventually.await(Duration.ofSeconds(30), "batch under way", () -> {
                        JsonNode b = get(origins.get(2), key, "/v1/batches/" + batchId);
                        return b.path("status").asText().equals("in_progress")
                                && b.path("request_counts").path("completed").asLong() > 100;
                    });
                    String holder = leaseOwner(db, batchId);
                    assertThat(holder).as("a live batch has a lease holder").isNotNull();
                    long holderPid = Long.parseLong(holder.split("/")[1]);
                    int victim = -1;
                    for (int i = 0; i < gateways.size(); i++) {
                        if (gateways.get(i).pid() == holderPid) {
                            victim = i;
                        }
                    }
                    assertThat(victim).as("the lease names one of the three processes: " + holder).isNotNegative();
                    // DURING the run: the canary is on no disk of any instance.
                    for (int i = 0; i < gateways.size(); i++) {
                        assertThat(scanner.filesContaining(dataDirs.get(i))).as("data directory " + i + " during the run").isEmpty();
                        assertThat(scanner.filesContaining(tmpDirs.get(i))).as("temp directory " + i + " during the run").isEmpty();
                    }
                    long epochAtKill = leaseEpoch(db, batchId);
                    gateways.get(victim).kill();
                    int killed = victim;
                    int survivor = (victim + 1) % gateways.size();
                    String origin = origins.get(survivor);
                    JsonNode atKill = get(origin, key, "/v1/batches/" + batchId);
                    assertThat(atKill.path("request_counts").path("completed").asLong()).as("killed mid-batch").isLessThan(LINES);

                    JsonNode[] last = new JsonNode[1];
                    Eventually.await(Duration.ofSeconds(60), "the batch ends on a surviving instance", () -> {
                        last[0] = get(origin, key, "/v1/batches/" + batchId);
                        return Set.of("completed", "failed", "cancelled", "expired").contains(last[0].path("status").asText());
                    });
                    JsonNode done = last[0];
                    assertThat(done.path("status").asText()).isEqualTo("completed");
                    assertThat(done.path("request_counts").path("completed").asLong()).isEqualTo(LINES);
                    assertThat(done.path("request_counts").path("failed").asLong()).isZero();
                    assertThat(leaseEpoch(db, batchId)).as("claimed again after the kill").isGreaterThan(epochAtKill);
                    String takenOver = "batch_id=" + batchId + " claimed";
                    long survivorsThatClaimed = java.util.stream.IntStream.range(0, gateways.size()).filter(i -> i != killed)
                            .filter(i -> read(logs.get(i)).contains(takenOver)).count();
                    assertThat(survivorsThatClaimed).as("a surviving instance took the batch over").isPositive();

                    String output = download(origin, key, done.path("output_file_id").asText());
                    List<String> ids = new ArrayList<>();
                    long servedTokens = 0;
                    for (String line : output.split("\n")) {
                        if (!line.isBlank()) {
                            JsonNode n = JSON.readTree(line);
                            ids.add(n.path("custom_id").asText());
                            servedTokens += n.path("response").path("body").path("usage").path("total_tokens").asLong();
                        }
                    }
                    Set<String> expected = new HashSet<>();
                    for (int i = 0; i < LINES; i++) {
                        expected.add(canary + "-" + i);
                    }
                    assertThat(ids).as("every custom_id exactly once").hasSize(LINES).doesNotHaveDuplicates();
                    assertThat(new HashSet<>(ids)).isEqualTo(expected);
                    // Billing: every served line once, although lines of the killed instance's open chunk ran twice.
                    JsonNode usage = get(origin, key, "/v1/usage").path("totals");
                    assertThat(usage.path("requests").asLong()).as("ledger requests = lines served").isEqualTo(LINES);
                    assertThat(usage.path("total_tokens").asLong()).isEqualTo(servedTokens);
                    assertThat(upstream.requests().size()).as("lines redone after the kill: at most the open chunk")
                            .isBetween(LINES, LINES + CHUNK_LINES + CONCURRENCY);
                    // Positive controls: the canary reached the upstream and comes back decrypted to the client.
                    assertThat(upstream.requests()).anySatisfy(r -> assertThat(r.body()).contains(canary));
                    assertThat(scanner.contains(output)).isTrue();
                    String outputId = done.path("output_file_id").asText();
                    assertThat(chunkCount(db, outputId)).as("the output's ciphertext is in the shared store").isPositive();
                    assertThat(chunkCount(db, fileId)).as("the input was deleted when the batch ended").isZero();
                    // Deleting the output through yet another instance destroys its key and its ciphertext.
                    String deleter = origins.get((killed + 2) % gateways.size());
                    HttpResponse<String> deleted = http.send(HttpRequest.newBuilder(URI.create(deleter + "/v1/files/" + outputId))
                            .header("authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).DELETE().build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
                    assertThat(chunkCount(db, outputId)).as("ciphertext deleted with the file").isZero();
                    assertThat(queryBatch(db, "SELECT file_id FROM batch_file_keys WHERE file_id = ?", outputId))
                            .as("its key destroyed").isNull();
                } finally {
                    for (GatewayProcess gateway : gateways) {
                        if (gateway.alive()) {
                            assertThat(gateway.stop()).as("graceful stop").isIn(0, 143);
                        }
                    }
                }
            }
        }
        // AFTER, with PostgreSQL stopped and its files kept: the canary is on no disk and in no log.
        List<Path> roots = new ArrayList<>(dataDirs);
        roots.addAll(tmpDirs);
        roots.add(pgData);
        for (Path root : roots) {
            assertThat(scanner.filesContaining(root)).as(root + " after the run").isEmpty();
        }
        for (Path log : logs) {
            assertThat(scanner.contains(read(log))).as("canary in " + log).isFalse();
        }
    }

    private static Map<String, String> env() {
        return Map.of("VEIL_LOG_LEVEL", "DEBUG", "FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
                "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN, "VEIL_MASTER_KEY", GatewayFixture.MASTER_KEY);
    }

    private static String leaseOwner(DataSource db, String batchId) throws Exception {
        return queryBatch(db, "SELECT lease_owner FROM batches WHERE id = ?", batchId);
    }

    private static long leaseEpoch(DataSource db, String batchId) throws Exception {
        return Long.parseLong(queryBatch(db, "SELECT CAST(lease_epoch AS TEXT) FROM batches WHERE id = ?", batchId));
    }

    private static long chunkCount(DataSource db, String fileId) throws Exception {
        return Long.parseLong(queryBatch(db, "SELECT CAST(COUNT(*) AS TEXT) FROM batch_file_chunks WHERE file_id = ?", fileId));
    }

    private static String queryBatch(DataSource db, String sql, String arg) throws Exception {
        try (Connection connection = db.getConnection(); PreparedStatement s = connection.prepareStatement(sql)) {
            s.setString(1, arg);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private String createKey(String origin) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"failover\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        return JSON.readTree(created.body()).path("key").asText();
    }

    private JsonNode get(String origin, String key, String path) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + path))
                .header("authorization", "Bearer " + key).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    private String download(String origin, String key, String fileId) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(origin + "/v1/files/" + fileId + "/content"))
                .header("authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}
