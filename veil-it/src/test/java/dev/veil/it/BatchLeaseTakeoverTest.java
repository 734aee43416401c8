package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Writer;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running gateway whose batch lease is taken away (as when it stalled past its lease and another instance claimed
 * the batch): its job stops at once without ending or failing the batch, its refused chunk adds nothing, and when the
 * lease is free again the gateway claims the batch back and finishes it with every custom_id exactly once and every
 * line billed once. On SQLite, with the gateway in this JVM and the "other instance" played by SQL on its store.
 */
class BatchLeaseTakeoverTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LINES = 300;

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(90)
    void aJobThatLosesItsLeaseStopsAndTheBatchIsFinishedOnceWhenTheLeaseComesBack() throws Exception {
        try (GatewayFixture fixture = GatewayFixture.withBatches(Files.createDirectories(work.resolve("data")),
                "batch:\n  lease_ms: 1500\n  claim_interval_ms: 200\n  concurrency: 2\n  chunk_lines: 16\n")) {
            fixture.upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(20);
            Path input = work.resolve("input.jsonl");
            try (Writer w = Files.newBufferedWriter(input)) {
                for (int i = 0; i < LINES; i++) {
                    w.write("{\"custom_id\":\"r-" + i + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                            + "\"body\":{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"line " + i + "\"}]}}\n");
                }
            }
            String fileId = BatchProcessTest.upload(http, fixture.origin(), fixture.apiKey, input, "input.jsonl");
            String batchId = BatchProcessTest.createBatch(http, fixture.origin(), fixture.apiKey, fileId, "/v1/chat/completions");
            Eventually.await(Duration.ofSeconds(30), "batch under way", () -> completed(fixture, batchId) > 30);

            // Another instance takes the batch over (its lease runs for a minute).
            String owner = fixture.gateway.store().batchLeases().find(batchId).orElseThrow().owner();
            assertThat(owner).isNotNull();
            sql(fixture, "UPDATE batches SET lease_owner = 'intruder', lease_until = ?, lease_epoch = lease_epoch + 1 "
                    + "WHERE id = ?", System.currentTimeMillis() + 60_000, batchId);
            // Within a heartbeat (500 ms) plus the chunk in flight the job stops: progress and upstream calls freeze.
            Thread.sleep(2_000);
            long frozen = completed(fixture, batchId);
            int calls = fixture.upstream.requests().size();
            Thread.sleep(1_500);
            assertThat(completed(fixture, batchId)).as("no progress without the lease").isEqualTo(frozen);
            assertThat(fixture.upstream.requests().size()).as("no upstream calls without the lease").isEqualTo(calls);
            assertThat(frozen).isLessThan(LINES);
            JsonNode meanwhile = JSON.readTree(fixture.get("/v1/batches/" + batchId).body());
            assertThat(meanwhile.path("status").asText()).as("left for the holder, not ended").isEqualTo("in_progress");
            assertThat(fixture.gateway.store().batchLeases().find(batchId).orElseThrow().owner()).isEqualTo("intruder");

            // The intruder lets go without finishing: the gateway claims the batch back and finishes it.
            sql(fixture, "UPDATE batches SET lease_owner = NULL, lease_until = NULL WHERE id = ?", null, batchId);
            JsonNode[] last = new JsonNode[1];
            Eventually.await(Duration.ofSeconds(40), "batch ends", () -> {
                last[0] = JSON.readTree(fixture.get("/v1/batches/" + batchId).body());
                return Set.of("completed", "failed", "cancelled", "expired").contains(last[0].path("status").asText());
            });
            assertThat(last[0].path("status").asText()).isEqualTo("completed");
            assertThat(last[0].path("request_counts").path("completed").asLong()).isEqualTo(LINES);
            String output = fixture.get("/v1/files/" + last[0].path("output_file_id").asText() + "/content").body();
            List<String> ids = new ArrayList<>();
            for (String line : output.split("\n")) {
                if (!line.isBlank()) {
                    ids.add(JSON.readTree(line).path("custom_id").asText());
                }
            }
            assertThat(ids).hasSize(LINES).doesNotHaveDuplicates();
            JsonNode usage = JSON.readTree(fixture.get("/v1/usage").body()).path("totals");
            assertThat(usage.path("requests").asLong()).as("every line billed once").isEqualTo(LINES);
            assertThat(fixture.gateway.store().batchLeases().find(batchId).orElseThrow())
                    .satisfies(l -> assertThat(l.owner()).as("released when it ended").isNull())
                    .satisfies(l -> assertThat(l.epoch()).isGreaterThanOrEqualTo(3));
        }
    }

    private static long completed(GatewayFixture fixture, String batchId) throws Exception {
        return JSON.readTree(fixture.get("/v1/batches/" + batchId).body()).path("request_counts").path("completed").asLong();
    }

    private static void sql(GatewayFixture fixture, String statement, Long until, String batchId) throws Exception {
        try (Connection c = fixture.gateway.store().dataSource().getConnection();
             PreparedStatement s = c.prepareStatement(statement)) {
            int i = 1;
            if (until != null) {
                s.setLong(i++, until);
            }
            s.setString(i, batchId);
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
    }
}
