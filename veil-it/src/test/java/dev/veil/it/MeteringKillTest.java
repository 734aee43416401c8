package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An instance killed outright ({@code kill -9}: no shutdown hook, nothing flushed) keeps the metering rows of the
 * requests it completed more than a flush interval before: they are already in the store. Run with
 * {@code store.metering_flush_ms: 10}; with the default 200 ms this test loses rows about half the time, as the kill
 * lands 100 ms after the last answer (with a 1 s interval it found none of the 40 rows).
 */
@Timeout(120)
class MeteringKillTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final int REQUESTS = 40;

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void requestsCompletedBeforeAKillNineAreInTheRequestLog() throws Exception {
        Path dataDir = Files.createDirectories(work.resolve("data"));
        int port = GatewayProcess.freePort();
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Path config = Files.writeString(work.resolve("veil.yaml"), GatewayFixture.yaml(upstream.baseUrl(), dataDir,
                    5_000).replace("port: 0", "port: " + port).replace("store:\n", "store:\n  metering_flush_ms: 10\n"));
            String origin = "http://127.0.0.1:" + port;
            try (GatewayProcess gateway = GatewayProcess.start(List.of(), List.of("serve", "--config", config.toString()),
                    Map.of("FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET, "VEIL_ADMIN_TOKEN",
                            GatewayFixture.ADMIN_TOKEN, "VEIL_MASTER_KEY", GatewayFixture.MASTER_KEY),
                    work.resolve("gateway.log"))) {
                gateway.awaitHealthy(port, Duration.ofSeconds(60));
                String key = createKey(origin);
                for (int i = 0; i < REQUESTS; i++) {
                    HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(origin
                                    + "/v1/chat/completions")).header("authorization", "Bearer " + key)
                            .header("content-type", "application/json").timeout(Duration.ofSeconds(30))
                            .POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                }
                Thread.sleep(100);
                gateway.kill();
            }
        }
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("veil.db"));
             ResultSet rows = db.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM request_log WHERE endpoint = 'chat.completions'")) {
            assertThat(rows.getLong(1)).as("metering rows of the completed requests").isEqualTo(REQUESTS);
        }
    }

    private String createKey(String origin) throws Exception {
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(origin + "/admin/keys"))
                .header("authorization", "Bearer " + GatewayFixture.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"kill-test\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        return JSON.readTree(created.body()).path("key").asText();
    }
}
