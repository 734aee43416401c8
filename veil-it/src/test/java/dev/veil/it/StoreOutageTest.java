package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * PostgreSQL unreachable for a few seconds under a running gateway (docs/deployment.md): requests whose key is known
 * keep being served, anything that needs the database gets a typed answer (never a 500 or a hang), and once the
 * database is back every request that completed is in the request log: none of their metering rows is lost.
 */
@Timeout(180)
class StoreOutageTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void completedRequestsAreMeteredAcrossAShortDatabaseOutage() throws Exception {
        Path pgData = work.resolve("pg");
        int pgPort = CompatProcess.freePort();
        EmbeddedPostgres postgres = startPostgres(pgData, pgPort);
        String jdbcUrl = postgres.getJdbcUrl("postgres", "postgres");
        try (FakeUpstream upstream = FakeUpstream.start()) {
            Path dataDir = Files.createDirectories(work.resolve("data"));
            String yaml = GatewayFixture.yaml(upstream.baseUrl(), dataDir, 3_000)
                    .replace("store:\n", "store:\n  jdbc_url: " + jdbcUrl + "\n  pool_size: 4\n");
            Map<String, String> env = Map.of("FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
                    "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN);
            Gateway gateway = Gateway.start(ConfigLoader.parse(yaml, env), env);
            try {
                IssuedKey key = ApiKeyIssuer.issue("outage", Instant.now());
                gateway.store().apiKeys().insert(key.record());
                int served = 0;
                for (int i = 0; i < 5; i++) {
                    served += chat(gateway, key.secret()).statusCode() == 200 ? 1 : 0;
                }
                assertThat(served).isEqualTo(5);

                postgres.close(); // the database goes away
                List<Integer> during = new ArrayList<>();
                long outageEnds = System.nanoTime() + Duration.ofSeconds(4).toNanos();
                while (System.nanoTime() < outageEnds) {
                    HttpResponse<String> answer = chat(gateway, key.secret());
                    during.add(answer.statusCode());
                    assertThat(answer.statusCode()).as(answer.body()).isIn(200, 503);
                    Thread.sleep(100);
                }
                long servedDuring = during.stream().filter(s -> s == 200).count();
                assertThat(servedDuring).as("a known key is served from the cache while the store is away")
                        .isGreaterThan(5);
                // A key the gateway has never seen needs the store: a typed answer, not a 500 or a hang.
                HttpResponse<String> unknown = chat(gateway, ApiKeyIssuer.issue("new", Instant.now()).secret());
                assertThat(unknown.statusCode()).as(unknown.body()).isIn(401, 503);

                postgres = startPostgres(pgData, pgPort); // back, same data
                gateway.flushMetering();
                assertThat(requestRows(jdbcUrl, key.record().id()))
                        .as("every completed request is in the request log")
                        .isEqualTo(served + servedDuring);
            } finally {
                gateway.close();
            }
        } finally {
            postgres.close();
        }
    }

    private static EmbeddedPostgres startPostgres(Path dataDir, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
    }

    private HttpResponse<String> chat(Gateway gateway, String secret) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("authorization", "Bearer " + secret).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(40)).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long requestRows(String jdbcUrl, String keyId) throws Exception {
        try (Connection db = DriverManager.getConnection(jdbcUrl);
             PreparedStatement count = db.prepareStatement("SELECT COUNT(*) FROM request_log WHERE key_id = ?")) {
            count.setString(1, keyId);
            try (ResultSet rows = count.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
