package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.Gateway;
import dev.veil.store.AuditEntry;
import java.time.Duration;
import java.util.List;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nodes are admitted only while their attestation verifies against the operator's policy, and dropped when
 * re-attestation fails; a node that is not admitted never gets a request, and the gateway never falls back to a weaker
 * route for it.
 */
@Timeout(60)
class NodeAdmissionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final String CHAT = "{\"model\":\"nm\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dataDir;

    private static String yaml(int nodePort, Path dataDir, String attestation) {
        return """
                server: {port: 0}
                store: {data_dir: %s}
                attestation: %s
                upstreams:
                  - {name: n1, base_url: "http://127.0.0.1:%d/v1", node: true}
                models:
                  - id: nm
                    routes:
                      - {name: n1, upstream: n1, policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}}
                """.formatted(dataDir, attestation, nodePort);
    }

    @Test
    void aNodeRefusedByThePolicyGetsNothing() throws Exception {
        try (FakeUpstream engine = FakeUpstream.start();
             VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")))) {
            // Hardware only: the simulated node is never admitted.
            Gateway gateway = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir, "{}"), Map.of()), Map.of());
            try {
                String key = key(gateway);
                HttpResponse<String> refused = post(gateway, key, CHAT);
                assertThat(refused.statusCode()).isEqualTo(503);
                assertThat(refused.body()).contains("node_not_attested");
                assertThat(engine.requests()).isEmpty();
                assertThat(get(gateway, key, "/v1/attestation?model=nm&nonce=" + "ab".repeat(32)).statusCode()).isEqualTo(503);
            } finally {
                gateway.close();
            }
        }
    }

    @Test
    void anAdmittedNodeServesAndIsDroppedWhenItsAttestationFails() throws Exception {
        try (FakeUpstream engine = FakeUpstream.start()) {
            VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")));
            Gateway gateway = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir,
                    "{allowed_formats: [simulated], allow_simulated: true, reattest_interval_ms: 1000}"), Map.of()), Map.of());
            try {
                String key = key(gateway);
                HttpResponse<String> served = post(gateway, key, CHAT);
                assertThat(served.statusCode()).as(served.body()).isEqualTo(200);
                assertThat(served.headers().firstValue("x-veil-privacy-mode")).contains("tee");
                assertThat(engine.requests()).hasSize(1);

                // The gateway's attestation endpoint returns live evidence for the client's own nonce.
                byte[] nonce = new byte[32];
                new SecureRandom().nextBytes(nonce);
                JsonNode answer = JSON.readTree(get(gateway, key, "/v1/attestation?model=nm&nonce=" + E2ee.hex(nonce)).body());
                assertThat(answer.path("nodes")).hasSize(1);
                Evidence evidence = Evidence.parse(JSON.writeValueAsBytes(answer.path("nodes").get(0)));
                assertThat(new AttestationVerifier().verify(evidence, nonce, new AttestationPolicy(Set.of(), Set.of(), true))
                        .nodeKeyId()).isEqualTo(node.currentNodeKeyId());

                node.close();
                Thread.sleep(1_800);
                HttpResponse<String> dropped = post(gateway, key, CHAT);
                assertThat(dropped.statusCode()).isEqualTo(503);
                assertThat(dropped.body()).contains("node_not_attested");

                // Both are in the audit log, with the node's verified identity and without any request content.
                Eventually.await(Duration.ofSeconds(5), "node.dropped in the audit log", () -> gateway.store().auditLog()
                        .page(0, 100).stream().anyMatch(e -> e.action().equals("node.dropped")));
                List<AuditEntry> audit = gateway.store().auditLog().page(0, 100);
                AuditEntry admitted = audit.stream().filter(e -> e.action().equals("node.admitted")).findFirst()
                        .orElseThrow();
                assertThat(admitted.subject()).isEqualTo("n1");
                assertThat(admitted.actor()).isEqualTo("gateway");
                assertThat(admitted.details()).containsEntry("format", "simulated").containsEntry("simulated", "true")
                        .containsEntry("node_key_id", evidence.nodeKeyId());
                assertThat(audit.stream().filter(e -> e.action().equals("node.dropped")).findFirst().orElseThrow()
                        .subject()).isEqualTo("n1");
                assertThat(gateway.store().auditLog().verify().intact()).isTrue();
            } finally {
                gateway.close();
                node.close();
            }
        }
    }

    private static String key(Gateway gateway) {
        IssuedKey key = ApiKeyIssuer.issue("node-it", Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return key.secret();
    }

    private static HttpResponse<String> post(Gateway gateway, String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("authorization", "Bearer " + key).header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(Gateway gateway, String key, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
