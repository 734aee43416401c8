package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped command, as an operator runs it: {@code veil migrate}, then two {@code veil serve} processes on one
 * PostgreSQL and one {@code redis-server}, a key made and revoked with {@code veil keys} (a third process). The key's
 * rpm holds across the two, and its revocation reaches both without either being told.
 */
class SharedLimitsProcessTest {

    private static final Pattern KEY_LINE = Pattern.compile("(?m)^VEIL_API_KEY=(\\S+)$");
    private static final Pattern CREATED = Pattern.compile("(?m)^Created key (\\S+) ");
    private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(240)
    void twoServeProcessesShareLimitsAndKeyChanges() throws Exception {
        try (EmbeddedPostgres postgres = EmbeddedPostgres.start();
             RedisServer redis = RedisServer.start(work.resolve("redis"));
             FakeUpstream upstream = FakeUpstream.start()) {
            try (Connection connection = postgres.getPostgresDatabase().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE DATABASE veil_processes");
            }
            String jdbcUrl = postgres.getJdbcUrl("postgres", "veil_processes");
            List<Integer> ports = List.of(GatewayProcess.freePort(), GatewayProcess.freePort());
            List<Path> configs = new ArrayList<>();
            for (int i = 0; i < ports.size(); i++) {
                Path dataDir = Files.createDirectories(work.resolve("instance-" + i));
                String yaml = GatewayFixture.yaml(upstream.baseUrl(), dataDir, 3_000)
                        .replace("port: 0", "port: " + ports.get(i))
                        .replace("store:\n", "store:\n  jdbc_url: " + jdbcUrl + "\n")
                        + "redis:\n  url: " + redis.url() + "\n";
                configs.add(Files.writeString(work.resolve("veil-" + i + ".yaml"), yaml));
            }

            CompatProcess.Result migrated = CompatProcess.run(work, CLI_TIMEOUT, "migrate", "--config", configs.get(0).toString());
            assertThat(migrated.exit()).as(migrated.stderr()).isZero();
            assertThat(migrated.stdout()).contains("applied");

            Map<String, String> env = Map.of("FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET);
            List<GatewayProcess> gateways = new ArrayList<>();
            try {
                for (int i = 0; i < ports.size(); i++) {
                    gateways.add(GatewayProcess.start(List.of("-XX:TieredStopAtLevel=1"),
                            List.of("serve", "--config", configs.get(i).toString()), env, work.resolve("gateway-" + i + ".log")));
                }
                for (int i = 0; i < ports.size(); i++) {
                    gateways.get(i).awaitHealthy(ports.get(i), Duration.ofSeconds(90));
                    int port = ports.get(i);
                    Eventually.await(Duration.ofSeconds(10), "ready", () -> get(port, "/health/ready").statusCode() == 200);
                }

                CompatProcess.Result created = CompatProcess.run(work, CLI_TIMEOUT, "keys", "create", "--name", "shared",
                        "--rpm", "10", "--config", configs.get(0).toString());
                assertThat(created.exit()).as(created.stderr()).isZero();
                Matcher secret = KEY_LINE.matcher(created.stdout());
                Matcher id = CREATED.matcher(created.stdout());
                assertThat(secret.find() && id.find()).as(created.stdout()).isTrue();

                int admitted = 0;
                for (int i = 0; i < 20; i++) {
                    int status = chat(ports.get(i % 2), secret.group(1)).statusCode();
                    assertThat(status).isIn(200, 429);
                    admitted += status == 200 ? 1 : 0;
                }
                assertThat(admitted).as("rpm 10 across two processes").isEqualTo(10);

                CompatProcess.Result revoked = CompatProcess.run(work, CLI_TIMEOUT, "keys", "revoke", id.group(1),
                        "--config", configs.get(0).toString());
                assertThat(revoked.exit()).as(revoked.stderr()).isZero();
                for (int port : ports) {
                    Eventually.await(Duration.ofSeconds(5), "revoked on the instance at " + port,
                            () -> chat(port, secret.group(1)).statusCode() == 401);
                }
            } finally {
                for (GatewayProcess gateway : gateways) {
                    assertThat(gateway.stop()).as("graceful stop").isIn(0, 143);
                }
            }
        }
    }

    private HttpResponse<String> chat(int port, String key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
