package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.app.VeilCommand;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.protocol.PrivacyMode;
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
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Three separate gateways (each its own Vert.x, pools, caches and limiter) on one embedded PostgreSQL and one real
 * {@code redis-server}, used round-robin as a load balancer would: limits hold across the three, key changes reach all
 * three within the documented bound, Redis outages follow the configured fail mode, and three instances starting at
 * once migrate the database once.
 */
@Timeout(120)
class SharedLimitsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    /** What the fake upstream reports for one chat answer. */
    private static final int TOKENS_PER_CHAT = 14;
    /** KeyChangeWatch.POLL_MILLIS plus one store read, with room for a loaded CI machine. */
    private static final Duration KEY_CHANGE_BOUND = Duration.ofSeconds(5);

    @TempDir
    static Path work;

    private static EmbeddedPostgres postgres;
    private static RedisServer redis;
    private static FakeUpstream upstream;
    private static final List<Gateway> gateways = new ArrayList<>();
    private static final AtomicInteger databases = new AtomicInteger();
    private static String jdbcUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private int next;

    @BeforeAll
    static void startInstances() throws Exception {
        postgres = EmbeddedPostgres.start();
        redis = RedisServer.start(work.resolve("redis"));
        upstream = FakeUpstream.start();
        jdbcUrl = freshDatabase();
        // Three instances started at once against one empty database: each runs Flyway on start.
        ExecutorService starters = Executors.newFixedThreadPool(3);
        try {
            List<Future<Gateway>> started = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int n = i;
                started.add(starters.submit(() -> startGateway(jdbcUrl, "instance-" + n, "fail_closed")));
            }
            for (Future<Gateway> gateway : started) {
                gateways.add(gateway.get());
            }
        } finally {
            starters.shutdown();
        }
    }

    @AfterAll
    static void stopInstances() throws Exception {
        for (Gateway gateway : gateways) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @BeforeEach
    void freshCounters() throws Exception {
        try {
            redis.command("PING");
        } catch (java.io.IOException e) {
            redis.restart(); // a test that killed it failed before restarting it
            awaitRecovered();
        }
        assertThat(redis.command("FLUSHALL")).isEqualTo("+OK");
        upstream.reset();
    }

    private static String freshDatabase() throws Exception {
        String name = "veil_shared_" + databases.incrementAndGet();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return postgres.getJdbcUrl("postgres", name);
    }

    private static Gateway startGateway(String url, String name, String failMode) throws Exception {
        Path dataDir = Files.createDirectories(work.resolve(name));
        String yaml = GatewayFixture.yaml(upstream.baseUrl(), dataDir, 3_000)
                .replace("store:\n", "store:\n  jdbc_url: " + url + "\n  pool_size: 4\n")
                + "redis:\n  url: " + redis.url() + "\n  timeout_ms: 500\n  fail_mode: " + failMode + "\n";
        Map<String, String> env = Map.of("FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
                "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN);
        return Gateway.start(ConfigLoader.parse(yaml, env), env);
    }

    private static IssuedKey key(String policyJson) {
        IssuedKey key = ApiKeyIssuer.issue("shared", KeyPolicyJson.read(policyJson), Instant.now());
        gateways.get(0).store().apiKeys().insert(key.record());
        return key;
    }

    /** The next instance, round-robin, as a load balancer would pick. */
    private Gateway nextInstance() {
        return gateways.get(next++ % gateways.size());
    }

    private HttpResponse<String> chat(Gateway gateway, IssuedKey key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("authorization", "Bearer " + key.secret()).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(Gateway gateway, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":" + gateway.port() + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String code(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body()).path("error").path("code").asText();
    }

    @Test
    void theThreeInstancesMigratedTheDatabaseOnce() throws Exception {
        try (Connection db = java.sql.DriverManager.getConnection(jdbcUrl);
             Statement statement = db.createStatement();
             ResultSet repeated = statement.executeQuery("SELECT version FROM flyway_schema_history "
                     + "WHERE version IS NOT NULL GROUP BY version HAVING COUNT(*) > 1");
             ResultSet failed = db.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM flyway_schema_history WHERE NOT success");
             ResultSet latest = db.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM flyway_schema_history WHERE version = '8'")) {
            assertThat(repeated.next()).as("a migration applied twice").isFalse();
            assertThat(failed.next() && failed.getInt(1) == 0).as("no failed migration").isTrue();
            assertThat(latest.next() && latest.getInt(1) == 1).as("the latest migration applied once").isTrue();
        }
        for (Gateway gateway : gateways) {
            assertThat(get(gateway, "/health/ready").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void veilMigrateRunsTheMigrationsAloneAndThenHasNothingToDo() throws Exception {
        String url = freshDatabase();
        Path config = Files.writeString(work.resolve("migrate.yaml"), "store:\n  data_dir: " + work.resolve("migrate")
                + "\n  jdbc_url: " + url + "\n");
        assertThat(new CommandLine(new VeilCommand()).execute("migrate", "--config", config.toString())).isZero();
        try (Connection db = java.sql.DriverManager.getConnection(url);
             ResultSet rows = db.createStatement().executeQuery("SELECT COUNT(*) FROM flyway_schema_history WHERE success");
             ResultSet keys = db.createStatement().executeQuery("SELECT version FROM key_changes")) {
            assertThat(rows.next() && rows.getInt(1) > 0).as("migrations recorded").isTrue();
            assertThat(keys.next()).as("the schema is there").isTrue();
        }
        assertThat(new CommandLine(new VeilCommand()).execute("migrate", "--config", config.toString())).isZero();
    }

    @Test
    void aKeyWithRpm60GetsExactly60AcrossThreeInstancesNot180() throws Exception {
        IssuedKey key = key("{\"rpm\":60}");
        int admitted = 0;
        int refused = 0;
        for (int i = 0; i < 90; i++) {
            HttpResponse<String> response = chat(nextInstance(), key);
            if (response.statusCode() == 200) {
                admitted++;
            } else {
                assertThat(response.statusCode()).isEqualTo(429);
                assertThat(code(response)).isEqualTo("rate_limit_exceeded");
                assertThat(response.headers().firstValue("retry-after")).isPresent();
                assertThat(response.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
                refused++;
            }
        }
        assertThat(admitted).isEqualTo(60);
        assertThat(refused).isEqualTo(30);
        assertThat(upstream.requests()).hasSize(60);
    }

    @Test
    void tokensPerMinuteHoldAcrossInstances() throws Exception {
        int tpm = 100;
        IssuedKey key = key("{\"tpm\":" + tpm + "}");
        int admitted = 0;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = chat(nextInstance(), key);
            if (response.statusCode() != 200) {
                assertThat(response.statusCode()).isEqualTo(429);
                assertThat(response.body()).contains("tokens per minute");
                continue;
            }
            admitted++;
            // Tokens are settled when a request completes; wait for the settlement to reach Redis so the count is
            // deterministic (in production a request started elsewhere within those milliseconds is admitted).
            int expected = admitted * TOKENS_PER_CHAT;
            Eventually.await(Duration.ofSeconds(5), "tokens settled in Redis", () -> tokensInRedis() == expected);
        }
        // Admitted while fewer than tpm tokens were used: ceil(100 / 14) = 8, the 8th crossing the limit.
        assertThat(admitted).isEqualTo((tpm + TOKENS_PER_CHAT - 1) / TOKENS_PER_CHAT);
    }

    @Test
    void aBudgetHoldsAcrossInstancesWithoutWaitingForTheLedger() throws Exception {
        // A chat answer costs 11 prompt tokens at $1/M and 3 completion tokens at $2/M: 17 micro-dollars.
        int cost = 17;
        int budgetMicros = 100;
        IssuedKey key = key("{\"budget_usd\":0.0001,\"budget_period\":\"day\"}");
        int admitted = 0;
        for (int i = 0; i < 15; i++) {
            HttpResponse<String> response = chat(nextInstance(), key);
            if (response.statusCode() != 200) {
                assertThat(response.statusCode()).isEqualTo(429);
                assertThat(code(response)).isEqualTo("budget_exceeded");
                continue;
            }
            admitted++;
            int expected = admitted * cost;
            Eventually.await(Duration.ofSeconds(5), "spend settled in Redis", () -> sumInRedis(":spend") == expected);
        }
        // Each instance read the ledger once (it refreshes every minute); without the shared spend each would have
        // allowed about the whole budget on its own.
        assertThat(admitted).isEqualTo((budgetMicros + cost - 1) / cost);
    }

    private long tokensInRedis() throws Exception {
        return sumInRedis(":tokens");
    }

    private long sumInRedis(String suffix) throws Exception {
        long sum = 0;
        for (String k : redis.keys()) {
            if (k.endsWith(suffix)) {
                String total = redis.command("EVAL", "local s = 0 for _, v in ipairs(redis.call('HVALS', KEYS[1])) do "
                        + "s = s + tonumber(v) end return s", "1", k);
                sum += Long.parseLong(total.substring(1));
            }
        }
        return sum;
    }

    @Test
    void concurrentRequestsAreLimitedAcrossInstances() throws Exception {
        IssuedKey key = key("{\"max_concurrent\":2}");
        upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(1_500);
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> call(gateways.get(0), key));
        CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> call(gateways.get(1), key));
        Eventually.await(Duration.ofSeconds(10), "two requests in flight at the upstream",
                () -> upstream.requests().size() == 2);
        HttpResponse<String> third = chat(gateways.get(2), key);
        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(code(third)).isEqualTo("concurrency_limit_exceeded");
        assertThat(third.headers().firstValue("retry-after")).isPresent();
        assertThat(first.get().statusCode()).isEqualTo(200);
        assertThat(second.get().statusCode()).isEqualTo(200);
        // Completed requests give their slots back.
        Eventually.await(Duration.ofSeconds(5), "slots released in Redis", () -> inFlightInRedis() == 0);
        upstream.mode(FakeUpstream.Mode.OK);
        assertThat(chat(gateways.get(2), key).statusCode()).isEqualTo(200);
    }

    private long inFlightInRedis() throws Exception {
        long sum = 0;
        for (String k : redis.keys()) {
            if (k.endsWith(":inflight")) {
                sum += Long.parseLong(redis.command("ZCARD", k).substring(1));
            }
        }
        return sum;
    }

    private HttpResponse<String> call(Gateway gateway, IssuedKey key) {
        try {
            return chat(gateway, key);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void redisKeysHoldAHashOfTheKeyIdAndCountsOnly() throws Exception {
        IssuedKey key = key("{\"rpm\":100,\"tpm\":100000,\"max_concurrent\":5}");
        assertThat(chat(nextInstance(), key).statusCode()).isEqualTo(200);
        Eventually.await(Duration.ofSeconds(5), "tokens settled", () -> tokensInRedis() == TOKENS_PER_CHAT);
        List<String> keys = redis.keys();
        assertThat(keys).isNotEmpty().allMatch(k -> k.matches("veil:limits:\\{[0-9a-f]{32}\\}:(requests|tokens|inflight|spend)"));
        assertThat(String.join(" ", keys)).doesNotContain(key.record().id()).doesNotContain(key.secret());
    }

    @Test
    void withRedisDownKeysWithLimitsFailClosedAndRecover() throws Exception {
        IssuedKey limited = key("{\"rpm\":1000}");
        IssuedKey budgeted = key("{\"budget_usd\":100}");
        IssuedKey unlimited = key("{}");
        assertThat(chat(gateways.get(0), limited).statusCode()).isEqualTo(200);
        redis.kill();
        for (Gateway gateway : gateways) {
            HttpResponse<String> refused = chat(gateway, limited);
            assertThat(refused.statusCode()).isEqualTo(503);
            JsonNode error = JSON.readTree(refused.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("rate_limiter_unavailable");
            assertThat(error.path("type").asText()).isEqualTo("server_error");
            assertThat(error.path("message").asText()).isNotBlank();
            assertThat(refused.headers().firstValue("retry-after")).hasValue("1");
            HttpResponse<String> overBudget = chat(gateway, budgeted);
            assertThat(overBudget.statusCode()).as("a budget is counted in Redis too").isEqualTo(503);
            assertThat(code(overBudget)).isEqualTo("rate_limiter_unavailable");
            // The key's own dashboard view cannot show a live budget either: a 503 to retry, never a 500.
            HttpResponse<String> ownView = http.send(HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":"
                            + gateway.port() + "/v1/key")).header("authorization", "Bearer " + budgeted.secret())
                    .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ownView.statusCode()).as(ownView.body()).isEqualTo(503);
            assertThat(code(ownView)).isEqualTo("rate_limiter_unavailable");
            // A key without limits does not need Redis.
            assertThat(chat(gateway, unlimited).statusCode()).isEqualTo(200);
            assertThat(get(gateway, "/health/live").statusCode()).isEqualTo(200);
            assertThat(get(gateway, "/metrics").body()).containsPattern("(?m)^veil_rate_limiter_unavailable [1-9]");
        }
        for (Gateway gateway : gateways) {
            Eventually.await(Duration.ofSeconds(10), "readiness false while Redis is down",
                    () -> get(gateway, "/health/ready").statusCode() == 503);
            assertThat(get(gateway, "/health/ready").body()).contains("\"redis\":\"unreachable\"", "\"store\":\"ok\"");
        }
        assertThat(upstream.requests()).hasSize(1 + gateways.size());

        redis.restart();
        for (Gateway gateway : gateways) {
            Eventually.await(Duration.ofSeconds(10), "admitted again once Redis is back",
                    () -> chat(gateway, limited).statusCode() == 200);
            Eventually.await(Duration.ofSeconds(10), "ready again", () -> get(gateway, "/health/ready").statusCode() == 200);
        }
    }

    @Test
    void failOpenCountsInEachInstanceWhileRedisIsDown() throws Exception {
        Gateway open = startGateway(jdbcUrl, "fail-open", "fail_open");
        try {
            IssuedKey key = key("{\"rpm\":2}");
            redis.kill();
            // Each instance's own memory counts meanwhile: the key's two requests a minute, on this instance.
            assertThat(chat(open, key).statusCode()).isEqualTo(200);
            assertThat(chat(open, key).statusCode()).isEqualTo(200);
            HttpResponse<String> third = chat(open, key);
            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(code(third)).isEqualTo("rate_limit_exceeded");
            // The fail-closed instances refuse the same key meanwhile.
            assertThat(chat(gateways.get(0), key).statusCode()).isEqualTo(503);
        } finally {
            redis.restart();
            open.close();
            awaitRecovered();
        }
    }

    /**
     * Waits until every instance counts in Redis again after an outage: each refuses or answers from its fail mode for
     * up to a second after its last failed call (SharedRateLimiter.RETRY_PAUSE_MILLIS).
     */
    private void awaitRecovered() throws Exception {
        IssuedKey probe = key("{\"rpm\":100000}");
        for (Gateway gateway : gateways) {
            Eventually.await(Duration.ofSeconds(10), "counting in Redis again", () -> chat(gateway, probe).statusCode() == 200);
        }
        assertThat(redis.command("FLUSHALL")).isEqualTo("+OK");
    }

    @Test
    void readinessIsFalseWhileTheStoreIsUnreachableAndLivenessStaysTrue() throws Exception {
        EmbeddedPostgres own = EmbeddedPostgres.start();
        Gateway gateway = null;
        try {
            gateway = startGateway(own.getJdbcUrl("postgres", "postgres"), "store-down", "fail_closed");
            Gateway started = gateway;
            Eventually.await(Duration.ofSeconds(10), "ready", () -> get(started, "/health/ready").statusCode() == 200);
            assertThat(get(gateway, "/health/ready").body())
                    .isEqualTo("{\"status\":\"ready\",\"store\":\"ok\",\"redis\":\"ok\"}");
            own.close();
            Eventually.await(Duration.ofSeconds(15), "not ready without its database",
                    () -> get(started, "/health/ready").statusCode() == 503);
            HttpResponse<String> notReady = get(gateway, "/health/ready");
            assertThat(notReady.body()).contains("\"status\":\"not_ready\"", "\"store\":\"unreachable\"");
            assertThat(notReady.headers().firstValue("retry-after")).isPresent();
            assertThat(get(gateway, "/health/live").statusCode()).isEqualTo(200);
            assertThat(get(gateway, "/health").statusCode()).isEqualTo(200);
        } finally {
            if (gateway != null) {
                gateway.close();
            }
            own.close();
        }
    }

    @Test
    void aRevokedKeyIsRefusedByEveryInstanceWithinTheBound() throws Exception {
        IssuedKey key = key("{}");
        for (Gateway gateway : gateways) {
            assertThat(chat(gateway, key).statusCode()).as("cached as valid").isEqualTo(200);
        }
        // Revoked in the store, as 'veil keys revoke' does from another process: no instance is told directly.
        long revokedAt = System.nanoTime();
        assertThat(gateways.get(0).store().apiKeys().revoke(key.record().id(), Instant.now())).isTrue();
        for (Gateway gateway : gateways) {
            Eventually.await(KEY_CHANGE_BOUND, "the revoked key refused", () -> chat(gateway, key).statusCode() == 401);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(KEY_CHANGE_BOUND);
    }

    @Test
    void aPolicyChangeReachesEveryInstanceWithinTheBound() throws Exception {
        IssuedKey key = key("{}");
        for (Gateway gateway : gateways) {
            assertThat(chat(gateway, key).statusCode()).isEqualTo(200);
        }
        KeyPolicy e2eeOnly = new KeyPolicy(null, PrivacyMode.E2EE, null, null, null, null, null, null, null);
        assertThat(gateways.get(1).store().apiKeys().updatePolicy(key.record().id(), e2eeOnly)).isTrue();
        for (Gateway gateway : gateways) {
            Eventually.await(KEY_CHANGE_BOUND, "the stricter policy applied",
                    () -> chat(gateway, key).statusCode() == 403);
        }
    }
}
