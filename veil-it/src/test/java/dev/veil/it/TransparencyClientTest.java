package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.TransparencyException;
import dev.veil.client.VeilClient;
import dev.veil.client.proxy.E2eeProxy;
import dev.veil.client.proxy.ProxySettings;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK and {@code veil proxy} check the transparency log over real HTTP, against a real gateway with a node that
 * joined it by attestation, seen through a rogue relay that rewrites the log it shows ({@link LogForgingRelay}): a
 * node missing from the log, a tampered inclusion proof, entry or tree head, and a forked log (signed with the real
 * log key) are each refused with their own error; the proxy's kept head survives a restart of {@code veil proxy}.
 */
@Timeout(120)
class TransparencyClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final AttestationPolicy SIMULATED = new AttestationPolicy(Set.of(), Set.of(), true);
    /** The prompt carries a canary: no refusal body, kept-heads file, log or other file of the run may hold it. */
    private static final String CANARY = "CANARY-i14-" + java.util.UUID.randomUUID();
    private static final String CHAT = "{\"model\":\"jm\",\"messages\":[{\"role\":\"user\",\"content\":\""
            + CANARY + "\"}]}";

    @TempDir
    Path dir;
    private JoinedNodeGateway gateway;
    private LogForgingRelay relay;

    @BeforeEach
    void start() throws Exception {
        gateway = JoinedNodeGateway.start(Files.createDirectories(dir.resolve("gateway")));
        relay = new LogForgingRelay(gateway.origin(), gateway.logSigningKey(), gateway.apiKey());
    }

    @AfterEach
    void stop() throws Exception {
        relay.close();
        gateway.close();
    }

    private VeilClient sdk() throws Exception {
        return VeilClient.builder().baseUrl(relay.origin()).apiKey(gateway.apiKey()).policy(SIMULATED)
                .transparencyLogKey(gateway.logKey()).attestationTtl(Duration.ZERO).build();
    }

    @Test
    void theSdkRefusesAnUnpublishedNodeATamperedProofEntryOrHeadAndAForkedLog() throws Exception {
        try (VeilClient client = sdk()) {
            assertThat(client.attest("jm").nodeKeyId()).isNotEmpty();

            relay.mode(LogForgingRelay.Mode.NODE_MISSING);
            assertThatThrownBy(() -> client.attest("jm")).isInstanceOf(TransparencyException.NotInLog.class)
                    .hasMessageContaining("not in the gateway's transparency log");
            relay.mode(LogForgingRelay.Mode.PROOF_TAMPERED);
            assertThatThrownBy(() -> client.attest("jm")).isInstanceOf(TransparencyException.NotInLog.class)
                    .hasMessageContaining("inclusion proof");
            relay.mode(LogForgingRelay.Mode.ENTRY_TAMPERED);
            assertThatThrownBy(() -> client.attest("jm")).isInstanceOf(TransparencyException.NotInLog.class)
                    .hasMessageContaining("inclusion proof");
            relay.mode(LogForgingRelay.Mode.HEAD_TAMPERED);
            assertThatThrownBy(() -> client.attest("jm")).isInstanceOf(TransparencyException.BadTreeHead.class)
                    .hasMessageContaining("signature");

            // A fork signed with the real log key: every proof in it verifies, only the kept head shows the lie.
            relay.mode(LogForgingRelay.Mode.FORK);
            assertThatThrownBy(() -> client.attest("jm")).isInstanceOf(TransparencyException.SplitView.class)
                    .hasMessageContaining("different roots");
            relay.mode(LogForgingRelay.Mode.FORK_GROWN);
            assertThatThrownBy(() -> client.attest("jm")).isInstanceOf(TransparencyException.SplitView.class)
                    .hasMessageContaining("not consistent");
            try (VeilClient fresh = sdk()) {
                // The control: a client that kept no head of the real log has nothing to compare the fork with.
                assertThat(fresh.attest("jm").nodeKeyId()).isNotEmpty();
            }

            // The real log, grown by a second node, still extends the head the client kept.
            relay.mode(LogForgingRelay.Mode.HONEST);
            long before = gateway.treeSize();
            gateway.join("gpu-box-2");
            assertThat(gateway.treeSize()).isGreaterThan(before);
            assertThat(client.attest("jm").nodeKeyId()).isNotEmpty();
        }
    }

    @Test
    void veilProxyRefusesTheJoinedNodeWhenItsEntryIsMissingOrTheHeadIsForkedAcrossARestart() throws Exception {
        Path state = dir.resolve("state");
        // The file veil proxy keeps in its state directory (ProxyCommand.TREE_HEAD_FILE).
        Path heads = state.resolve("proxy-tree-heads.json");
        try (E2eeProxy proxy = E2eeProxy.start(new ProxySettings(relay.origin(), gateway.apiKey(), "127.0.0.1", 0,
                SIMULATED, Duration.ZERO, gateway.logKey(), heads))) {
            HttpResponse<String> served = chat(proxy.baseUrl());
            assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
            assertThat(heads).exists();
            assertThat(Files.readString(heads)).contains(gateway.head().path("root_hash").asText());

            relay.mode(LogForgingRelay.Mode.NODE_MISSING);
            refused(chat(proxy.baseUrl()), "transparency_not_in_log", "does not publish this node");
            relay.mode(LogForgingRelay.Mode.PROOF_TAMPERED);
            refused(chat(proxy.baseUrl()), "transparency_not_in_log", "inclusion proof");
            relay.mode(LogForgingRelay.Mode.HEAD_TAMPERED);
            refused(chat(proxy.baseUrl()), "transparency_bad_tree_head", "tree head does not verify");
            relay.mode(LogForgingRelay.Mode.FORK);
            refused(chat(proxy.baseUrl()), "transparency_split_view", "SPLIT VIEW");
        }

        // veil proxy restarted on the same state directory remembers the head: the fork is still refused.
        Map<String, String> env = Map.of("VEIL_API_KEY", gateway.apiKey());
        try (CompatProcess veil = CompatProcess.start(dir, env, "proxy", "--gateway", relay.origin(), "--port", "0",
                "--allow-simulated", "--transparency-log-key", gateway.logKeyBase64(), "--state-dir", state.toString())) {
            Matcher listening = veil.awaitLine(Pattern.compile("Veil e2ee proxy on (http://\\S+/v1) .*"),
                    Duration.ofSeconds(30));
            String base = listening.group(1);
            refused(chat(base), "transparency_split_view", "SPLIT VIEW");
            relay.mode(LogForgingRelay.Mode.FORK_GROWN);
            refused(chat(base), "transparency_split_view", "not consistent");
            relay.mode(LogForgingRelay.Mode.HONEST);
            assertThat(chat(base).statusCode()).isEqualTo(200);
            assertThat(veil.stdout()).doesNotContain(CANARY);
        }

        // The control: a proxy with no kept head accepts the fork, so it was the kept head that caught it.
        relay.mode(LogForgingRelay.Mode.FORK);
        try (E2eeProxy fresh = E2eeProxy.start(new ProxySettings(relay.origin(), gateway.apiKey(), "127.0.0.1", 0,
                SIMULATED, Duration.ZERO, gateway.logKey(), dir.resolve("other-state/heads.json")))) {
            // With signed gateway receipts the fresh proxy may still refuse the forged log's receipt key (its proof
            // does not hold in the forged tree), but it sees no split view: only a kept head shows one.
            HttpResponse<String> answer = chat(fresh.baseUrl());
            assertThat(answer.body()).as(answer.body()).doesNotContain("transparency_split_view");
            assertThat(answer.statusCode()).as(answer.body()).isIn(200, 502);
        }
        // Nothing of the prompt was kept: not in the proxies' kept heads, the veil proxy process's output, the store.
        assertThat(new CanaryScanner(CANARY).filesContaining(dir)).isEmpty();
    }

    private static HttpResponse<String> chat(String base) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/chat/completions")).timeout(Duration.ofSeconds(30))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void refused(HttpResponse<String> answer, String code, String message) throws Exception {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(502);
        assertThat(answer.body()).doesNotContain(CANARY);
        JsonNode error = JSON.readTree(answer.body()).path("error");
        assertThat(error.path("type").asText()).isEqualTo("transparency_error");
        assertThat(error.path("code").asText()).isEqualTo(code);
        assertThat(error.path("message").asText()).contains(message);
    }
}
