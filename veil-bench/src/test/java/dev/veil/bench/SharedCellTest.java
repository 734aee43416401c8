package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.VeilConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The shared-state cell's own logic, without starting anything: its configuration, nginx blocks, binary and table. */
@Timeout(30)
class SharedCellTest {

    @TempDir
    Path dir;

    @Test
    void sharedIsACellOfItsOwn() {
        assertThat(Harness.checkedCells("shared,c1")).containsExactly("shared", "c1");
        assertThatThrownBy(() -> Harness.checkedCells("sharing")).hasMessageContaining("shared");
    }

    @Test
    void theInstancesConfigurationIsOneVeilAcceptsWithPostgresAndRedis() {
        VeilTarget.ConfigWriter writer = VeilTarget.benchConfig(List.of("fake-l0", "fakeb-l0", "mock-l0"), 0,
                ", jdbc_url: \"jdbc:postgresql://127.0.0.1:5999/postgres?user=postgres\"",
                "redis: {url: \"redis://127.0.0.1:6999\"}\n");
        Target.Env env = new Target.Env(dir, 1, 0, false, Map.of(Target.Up.FAKE, 9001, Target.Up.FAKE_B, 9002,
                Target.Up.MOCK, 9003));
        String yaml = writer.yaml(env, 8123, dir.resolve("data"));

        VeilConfig config = ConfigLoader.parse(yaml, Map.of());

        assertThat(config.store().jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5999/postgres?user=postgres");
        assertThat(config.store().isSqlite()).isFalse();
        assertThat(config.redis().enabled()).isTrue();
        assertThat(config.redis().url()).isEqualTo("redis://127.0.0.1:6999");
        assertThat(config.server().port()).isEqualTo(8123);
        assertThat(config.model("mock-l0")).isPresent();
        // Without the extra fields, the one instance stays on SQLite and without Redis.
        VeilConfig single = ConfigLoader.parse(VeilTarget.benchConfig(List.of("fake-l0"), 0, "", "")
                .yaml(env, 8124, dir.resolve("data")), Map.of());
        assertThat(single.store().isSqlite()).isTrue();
        assertThat(single.redis().enabled()).isFalse();
    }

    @Test
    void theKeysLimitsAreCountedButFarAboveWhatARunSends() {
        assertThat(VeilTarget.HIGH_LIMITS).containsSubsequence("--rpm", "1000000000");
        assertThat(VeilTarget.HIGH_LIMITS).contains("--tpm", "--max-concurrent");
    }

    @Test
    void theBalancerRoundRobinsOverBothInstancesWithKeepAliveOnLoopbackOnly() {
        String blocks = SharedVeil.Balancer.blocks(List.of(7001, 7002), 7100, 7003, 7101);

        assertThat(blocks).contains("upstream veil_shared { server 127.0.0.1:7001; server 127.0.0.1:7002; keepalive 256;");
        assertThat(blocks).contains("upstream veil_one { server 127.0.0.1:7003; keepalive 256;");
        assertThat(blocks).contains("listen 127.0.0.1:7100 ").contains("listen 127.0.0.1:7101 ");
        assertThat(blocks).doesNotContain("least_conn").doesNotContain("ip_hash");
        assertThat(blocks.lines().filter(l -> l.contains("listen")).allMatch(l -> l.contains("127.0.0.1:"))).isTrue();
        assertThat(blocks).contains("proxy_set_header Connection \"\";").contains("proxy_http_version 1.1;");
    }

    @Test
    void valkeyIsPreferredAndRedisIsTheFallback() throws IOException {
        Path valkeyDir = Files.createDirectories(dir.resolve("a"));
        Path redisDir = Files.createDirectories(dir.resolve("b"));
        assertThat(KeyValueServer.binary(List.of(valkeyDir, redisDir))).isEmpty();
        executable(redisDir.resolve("redis-server"));
        assertThat(KeyValueServer.binary(List.of(valkeyDir, redisDir))).contains(redisDir.resolve("redis-server"));
        executable(valkeyDir.resolve("valkey-server"));
        assertThat(KeyValueServer.binary(List.of(redisDir, valkeyDir))).contains(valkeyDir.resolve("valkey-server"));
    }

    @Test
    void commandsPerRequestLeaveTheInfoCallsOutAndSayWhenNothingWasRead() {
        assertThat(KeyValueServer.perRequest(Map.of(), Map.of(), 10)).isEqualTo("not read");
        assertThat(KeyValueServer.perRequest(Map.of("info", 1L), Map.of("info", 2L), 10)).isEqualTo("0.0 per request (none)");
    }

    @Test
    void infoRepliesAreReadWithinABound() throws IOException {
        String info = "# Stats\r\ntotal_commands_processed:42\r\n";
        String reply = "$" + info.length() + "\r\n" + info + "\r\n";
        assertThat(KeyValueServer.bulkReply(new ByteArrayInputStream(reply.getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(info);
        assertThatThrownBy(() -> KeyValueServer.bulkReply(new ByteArrayInputStream(
                "$999999999\r\n".getBytes(StandardCharsets.US_ASCII)))).hasMessageContaining("999999999");
        assertThatThrownBy(() -> KeyValueServer.bulkReply(new ByteArrayInputStream(
                "-ERR nope\r\n".getBytes(StandardCharsets.US_ASCII)))).hasMessageContaining("not a bulk reply");
        assertThatThrownBy(() -> KeyValueServer.bulkReply(new ByteArrayInputStream(
                "$".repeat(100).getBytes(StandardCharsets.US_ASCII)))).hasMessageContaining("too long");
    }

    @Test
    void theTableGivesTheCostOfSharingAgainstOneInstanceBehindTheSameNginx() {
        Results r = new Results();
        double[][] p50 = {{100, 110, 90}, {150, 160, 140}, {180, 200, 170}, {260, 300, 250}};
        double[][] rps = {{0, 0, 0}, {12000, 11000, 13000}, {9000, 9500, 8500}, {6000, 6300, 5700}};
        for (int i = 0; i < 3; i++) {
            for (int route = 0; route < 4; route++) {
                String name = Report.SHARED_ROUTES.get(route);
                r.put("shared.c1", "p50_us", name, p50[route][i]);
                r.put("shared.c1", "success_pct", name, 100);
                if (route > 0) {
                    r.put("shared.max", "rps", name, rps[route][i]);
                    r.put("shared.max", "success_pct", name, route == 3 && i == 2 ? 99.5 : 100);
                }
            }
        }
        r.meta("shared_services", "PostgreSQL 17.2 (embedded, fsync on, synchronous_commit on), Redis 7.0.15, nginx 1.22.1");
        r.meta("shared_kv_commands", KeyValueServer.perRequest(Map.of("evalsha", 10L, "info", 1L),
                KeyValueServer.commandCalls("# Commandstats\r\ncmdstat_evalsha:calls=410,usec=9,usec_per_call=0.02\r\n"
                        + "cmdstat_info:calls=2,usec=1\r\ncmdstat_ping:calls=50,usec=1\r\n"), 200));
        StringBuilder b = new StringBuilder();

        new Report(r).sharedSection(b);

        String md = b.toString();
        assertThat(md).contains("Redis 7.0.15").contains("2.3 per request (evalsha 2.00, ping 0.25)");
        // c=1 p50: shared − veil-lb per repeat = 80, 100, 80 → median +80 µs.
        assertThat(md).contains("| **c=1, 0 ms fake on the gateway's core:** added latency p50 | 100 µs (90 µs … 110 µs) "
                + "| +50 µs (+50 µs … +50 µs) | +80 µs (+80 µs … +90 µs) | +160 µs (+160 µs … +190 µs) "
                + "| +80 µs (+80 µs … +100 µs) |");
        assertThat(md).contains("6,000 (5,700 … 6,300) | −3,000 req/s (67 % of one instance behind nginx) |");
        assertThat(md).contains("| lowest success rate of the cell's repeats (%) | 100.00 | 100.00 | 100.00 | 99.50 | — |");
    }

    @Test
    void aFailedSharedDeploymentIsSaidAndNothingElse() {
        Results r = new Results();
        r.note("shared", "shared", "the shared deployment failed: neither valkey-server nor redis-server is installed");
        StringBuilder b = new StringBuilder();
        new Report(r).sharedSection(b);
        assertThat(b.toString()).contains("Not measured: the shared deployment failed: neither valkey-server")
                .doesNotContain("| figure |");
        StringBuilder none = new StringBuilder();
        new Report(new Results()).sharedSection(none);
        assertThat(none.toString()).isEmpty();
    }

    private static void executable(Path file) throws IOException {
        Files.writeString(file, "#!/bin/sh\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
