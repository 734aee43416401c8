package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.node.VeilNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code veil log verify} and {@code veil log watch}, the shaded jar run as a process against a real gateway whose
 * nodes joined by attestation, directly and through a rogue relay ({@link LogForgingRelay}): the real log passes, a
 * tampered entry or head fails, a fork signed with the real log key fails against the heads kept from earlier runs,
 * and {@code watch} prints the identity of a node that joins while it runs, then raises the alarm on a fork.
 */
@Timeout(180)
class LogCommandTest {

    private static final Duration LIMIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private JoinedNodeGateway gateway;
    private LogForgingRelay relay;
    private Map<String, String> env;

    @BeforeEach
    void start() throws Exception {
        gateway = JoinedNodeGateway.start(Files.createDirectories(dir.resolve("gateway")));
        relay = new LogForgingRelay(gateway.origin(), gateway.logSigningKey(), gateway.apiKey());
        env = Map.of("VEIL_API_KEY", gateway.apiKey());
    }

    @AfterEach
    void stop() throws Exception {
        relay.close();
        gateway.close();
    }

    private CompatProcess.Result verify(String origin, Path state) throws Exception {
        return CompatProcess.run(dir, LIMIT, env, "log", "verify", origin, "--log-key", gateway.logKeyBase64(),
                "--state-dir", state.toString());
    }

    @Test
    void verifyPassesOnTheRealLogAndFailsOnATamperedOrForkedOne() throws Exception {
        Path state = dir.resolve("state");
        CompatProcess.Result ok = verify(gateway.origin(), state);
        assertThat(ok.exit()).as(ok.stdout() + ok.stderr()).isZero();
        assertThat(ok.stdout()).contains("[ ok ] tree head signature").contains("[ ok ] tree recomputed from the entries")
                .contains("[ ok ] log key entry").contains("1 node identity").contains("VERDICT: PASSED")
                .doesNotContain("FAIL");

        // The log grows (a second node joins); the second audit checks it against the head kept from the first.
        gateway.join("gpu-box-2");
        CompatProcess.Result again = verify(gateway.origin(), state);
        assertThat(again.exit()).as(again.stdout() + again.stderr()).isZero();
        assertThat(again.stdout()).contains("consistent with all 1 head(s) seen before").contains("2 node identities");

        relay.mode(LogForgingRelay.Mode.ENTRIES_TAMPERED);
        CompatProcess.Result tampered = verify(relay.origin(), state);
        assertThat(tampered.exit()).isEqualTo(1);
        assertThat(tampered.stdout()).contains("[FAIL] tree recomputed from the entries").contains("VERDICT: FAILED");

        relay.mode(LogForgingRelay.Mode.HEAD_TAMPERED);
        CompatProcess.Result badHead = verify(relay.origin(), state);
        assertThat(badHead.exit()).isEqualTo(1);
        assertThat(badHead.stdout()).contains("[FAIL] tree head signature");
        CompatProcess.Result wrongKey = CompatProcess.run(dir, LIMIT, env, "log", "verify", gateway.origin(),
                "--log-key", java.util.Base64.getEncoder().encodeToString(new byte[32]), "--state-dir", state.toString());
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.stdout()).contains("[FAIL] tree head signature");

        // A whole forked history, signed with the real log key: self-consistent, refused only by the kept heads.
        relay.mode(LogForgingRelay.Mode.FORK_GROWN);
        CompatProcess.Result forked = verify(relay.origin(), state);
        assertThat(forked.exit()).as(forked.stdout()).isEqualTo(1);
        assertThat(forked.stdout()).contains("[FAIL] heads seen before: SPLIT VIEW");
        CompatProcess.Result fresh = verify(relay.origin(), dir.resolve("fresh-state"));
        assertThat(fresh.exit()).as("a monitor that kept nothing cannot tell: " + fresh.stdout()).isZero();

        CompatProcess.Result usage = CompatProcess.run(dir, LIMIT, env, "log", "verify", "ftp://x", "--log-key", "AA==");
        assertThat(usage.exit()).isEqualTo(2);
    }

    @Test
    void watchPrintsANewlyJoinedNodeAndRaisesTheAlarmOnAFork() throws Exception {
        try (CompatProcess watch = CompatProcess.start(dir, env, "log", "watch", relay.origin(), "--log-key",
                gateway.logKeyBase64(), "--interval", "200ms", "--state-dir", dir.resolve("watch-state").toString())) {
            watch.awaitText("Watching " + relay.origin(), LIMIT);
            VeilNode joined = gateway.join("gpu-box-2");
            watch.awaitLine(Pattern.compile("\\S+Z  leaf \\d+  node nr_\\S+  SIMULATED  format=simulated  measurement="
                    + "[0-9a-f]+  node_key=" + joined.currentNodeKeyId() + "  signing_key=[0-9a-f]{64}  gpus=none.*"),
                    LIMIT);

            relay.mode(LogForgingRelay.Mode.FORK_GROWN);
            watch.awaitLine(Pattern.compile("ALERT \\[FAIL\\] consistency with the previous head: .*"), LIMIT);
        }
    }
}
