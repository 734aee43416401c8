package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.ProofVerifier;
import dev.veil.protocol.transparency.SignedTreeHead;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transparency log over real HTTP with a real (simulated-evidence) node: every admitted identity is in the log
 * before the node serves, tree heads verify with the log key, proofs verify with the client-side verifier, a restart
 * keeps the history (same key, same leaves, no duplicate) and a new node identity extends the tree consistently.
 */
@Timeout(90)
class TransparencyLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Base64.Decoder B64 = Base64.getDecoder();

    @TempDir
    Path dataDir;

    private static String yaml(int nodePort, Path dataDir) {
        return """
                server: {port: 0}
                store: {data_dir: %s}
                attestation: {allowed_formats: [simulated], allow_simulated: true}
                upstreams:
                  - {name: n1, base_url: "http://127.0.0.1:%d/v1", node: true}
                models:
                  - id: nm
                    routes:
                      - {name: n1, upstream: n1, policy: {trains: false, retention_days: 0, zdr: true, tee: simulated, e2ee: true}}
                """.formatted(dataDir, nodePort);
    }

    @Test
    void admittedIdentitiesAreLoggedProvablyAndTheHistorySurvivesRestartsAndGrowsConsistently() throws Exception {
        try (FakeUpstream engine = FakeUpstream.start()) {
            JsonNode firstHead;
            String nodeKeyId;
            try (VeilNode node = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")))) {
                nodeKeyId = node.currentNodeKeyId();
                Gateway gateway = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir), Map.of()), Map.of());
                try {
                    String key = key(gateway);
                    firstHead = head(gateway, key);
                    // The log key, the gateway's receipt key (docs/privacy.md, "Signed receipts"), the node.
                    assertThat(firstHead.path("tree_size").asLong()).isEqualTo(3);
                    List<String> entries = entries(gateway, key);
                    assertThat(JSON.readTree(entries.get(0)).path("type").asText()).isEqualTo("log_key");
                    assertThat(JSON.readTree(entries.get(0)).path("public_key").asText())
                            .isEqualTo(HexFormat.of().formatHex(B64.decode(firstHead.path("log_key").asText())));
                    assertThat(JSON.readTree(entries.get(1)).path("type").asText()).isEqualTo("receipt_key");
                    JsonNode identity = JSON.readTree(entries.get(2));
                    assertThat(identity.path("type").asText()).isEqualTo("node");
                    assertThat(identity.path("node_key_id").asText()).isEqualTo(nodeKeyId);
                    assertThat(identity.path("simulated").asBoolean()).isTrue();
                    for (String entry : entries) {
                        assertThat(entry).doesNotContain(key);
                    }

                    // A client finds the identity it attested in the log and checks the proof against the signed head.
                    byte[] leafHash = MerkleHash.leaf(entries.get(2).getBytes(StandardCharsets.UTF_8));
                    JsonNode proof = JSON.readTree(get(gateway, key, "/v1/transparency/proof/inclusion?leaf_hash="
                            + HexFormat.of().formatHex(leafHash)).body());
                    assertThat(proof.path("leaf_index").asLong()).isEqualTo(2);
                    assertThatCode(() -> ProofVerifier.verifyInclusion(2, 3, leafHash, hashes(proof),
                            B64.decode(firstHead.path("root_hash").asText()))).doesNotThrowAnyException();
                    // Tampered: another leaf's hash with the same proof does not verify.
                    byte[] otherLeaf = MerkleHash.leaf(entries.get(0).getBytes(StandardCharsets.UTF_8));
                    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProofVerifier.verifyInclusion(2, 3, otherLeaf,
                            hashes(proof), B64.decode(firstHead.path("root_hash").asText())))
                            .isInstanceOf(dev.veil.protocol.transparency.InvalidProof.class);

                    // The attestation answer carries, for each node, its logged identity with the inclusion proof.
                    JsonNode attested = JSON.readTree(get(gateway, key, "/v1/attestation?model=nm&nonce=" + "cd".repeat(32))
                            .body());
                    JsonNode logged = attested.path("transparency").path("nodes").get(0);
                    assertThat(JSON.readTree(logged.path("entry").asText()).path("node_key_id").asText()).isEqualTo(nodeKeyId);
                    JsonNode attestedHead = attested.path("transparency").path("tree_head");
                    assertThat(attestedHead.path("root_hash").asText()).isEqualTo(firstHead.path("root_hash").asText());
                    byte[] loggedLeaf = MerkleHash.leaf(logged.path("entry").asText().getBytes(StandardCharsets.UTF_8));
                    assertThatCode(() -> ProofVerifier.verifyInclusion(logged.path("leaf_index").asLong(),
                            attestedHead.path("tree_size").asLong(), loggedLeaf, hashes(logged),
                            B64.decode(attestedHead.path("root_hash").asText()))).doesNotThrowAnyException();

                    // The SDK with the log key pinned accepts the published node, and refuses under another key.
                    byte[] pinned = B64.decode(firstHead.path("log_key").asText());
                    dev.veil.protocol.attestation.AttestationPolicy simulated =
                            new dev.veil.protocol.attestation.AttestationPolicy(java.util.Set.of(), java.util.Set.of(), true);
                    try (dev.veil.client.VeilClient sdk = dev.veil.client.VeilClient.builder().baseUrl("http://127.0.0.1:"
                            + gateway.port()).apiKey(key).policy(simulated).transparencyLogKey(pinned).build()) {
                        assertThat(sdk.attest("nm").nodeKeyId()).isEqualTo(nodeKeyId);
                    }
                    try (dev.veil.client.VeilClient sdk = dev.veil.client.VeilClient.builder().baseUrl("http://127.0.0.1:"
                            + gateway.port()).apiKey(key).policy(simulated)
                            .transparencyLogKey(dev.veil.protocol.e2ee.SigningKey.generate().publicKey()).build()) {
                        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sdk.attest("nm"))
                                .isInstanceOf(dev.veil.protocol.attestation.AttestationException.class)
                                .hasMessageContaining("transparency log");
                    }

                    // Bad input is a 4xx naming the parameter.
                    assertThat(get(gateway, key, "/v1/transparency/proof/inclusion?leaf_index=3").statusCode()).isEqualTo(400);
                    assertThat(get(gateway, key, "/v1/transparency/entries?start=-1").statusCode()).isEqualTo(400);
                    assertThat(get(gateway, key, "/v1/transparency/proof/consistency?first=3&second=2").statusCode())
                            .isEqualTo(400);
                    assertThat(get(gateway, key, "/v1/transparency/nothing").statusCode()).isEqualTo(404);
                    assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                            + "/v1/transparency/head")).GET().build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                            .isEqualTo(401);
                } finally {
                    gateway.close();
                }

                // Restarted on the same store and key with the same node: nothing is appended twice.
                gateway = Gateway.start(ConfigLoader.parse(yaml(node.port(), dataDir), Map.of()), Map.of());
                try {
                    JsonNode again = head(gateway, key(gateway));
                    assertThat(again.path("tree_size").asLong()).isEqualTo(3);
                    assertThat(again.path("root_hash").asText()).isEqualTo(firstHead.path("root_hash").asText());
                    assertThat(again.path("log_key").asText()).isEqualTo(firstHead.path("log_key").asText());
                } finally {
                    gateway.close();
                }
            }

            // A new node key is a new identity: the tree grows, and the new head is consistent with the first.
            try (VeilNode rotated = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")))) {
                assertThat(rotated.currentNodeKeyId()).isNotEqualTo(nodeKeyId);
                Gateway gateway = Gateway.start(ConfigLoader.parse(yaml(rotated.port(), dataDir), Map.of()), Map.of());
                try {
                    String key = key(gateway);
                    JsonNode grown = head(gateway, key);
                    assertThat(grown.path("tree_size").asLong()).isEqualTo(4);
                    JsonNode consistency = JSON.readTree(get(gateway, key,
                            "/v1/transparency/proof/consistency?first=3&second=4").body());
                    assertThatCode(() -> ProofVerifier.verifyConsistency(3, 4, hashes(consistency),
                            B64.decode(firstHead.path("root_hash").asText()), B64.decode(grown.path("root_hash").asText())))
                            .doesNotThrowAnyException();
                    assertThat(JSON.readTree(entries(gateway, key).get(3)).path("node_key_id").asText())
                            .isEqualTo(rotated.currentNodeKeyId());
                } finally {
                    gateway.close();
                }
            }
        }
    }

    @Test
    void gatewaysSharingAStoreServeOneLog() throws Exception {
        try (FakeUpstream engine = FakeUpstream.start();
             VeilNode first = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")));
             VeilNode second = VeilNode.start(NodeSettings.of(engine.baseUrl(), Map.of("nm", "m")))) {
            // Same store and same log key (one data directory), as instances behind one load balancer share them.
            Gateway a = Gateway.start(ConfigLoader.parse(yaml(first.port(), dataDir), Map.of()), Map.of());
            Gateway b = Gateway.start(ConfigLoader.parse(yaml(second.port(), dataDir), Map.of()), Map.of());
            try {
                String keyA = key(a);
                String keyB = key(b);
                // b appended the second node after a's entries, never over them.
                JsonNode headB = head(b, keyB);
                assertThat(headB.path("tree_size").asLong()).isEqualTo(4);
                List<String> entriesB = entries(b, keyB);
                assertThat(entriesB.stream().filter(e -> e.contains("\"type\":\"log_key\"")).count()).isEqualTo(1);
                // One receipt key too: the instances share its file as they share the log key's.
                assertThat(entriesB.stream().filter(e -> e.contains("\"type\":\"receipt_key\"")).count()).isEqualTo(1);
                // a takes in b's entry within its sync interval and then serves the same tree.
                Eventually.await(java.time.Duration.ofSeconds(15), "the first gateway has the second's entry",
                        () -> head(a, keyA).path("tree_size").asLong() == 4);
                assertThat(head(a, keyA).path("root_hash").asText()).isEqualTo(headB.path("root_hash").asText());
                assertThat(entries(a, keyA)).isEqualTo(entriesB);
            } finally {
                b.close();
                a.close();
            }
        }
    }

    /** The signed tree head, its signature checked with the key it names. */
    private static JsonNode head(Gateway gateway, String key) throws Exception {
        HttpResponse<String> response = get(gateway, key, "/v1/transparency/head");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode head = JSON.readTree(response.body());
        SignedTreeHead sth = new SignedTreeHead(head.path("tree_size").asLong(), head.path("timestamp").asLong(),
                B64.decode(head.path("root_hash").asText()), B64.decode(head.path("signature").asText()));
        assertThatCode(() -> sth.verify(B64.decode(head.path("log_key").asText()))).doesNotThrowAnyException();
        return head;
    }

    private static List<String> entries(Gateway gateway, String key) throws Exception {
        JsonNode page = JSON.readTree(get(gateway, key, "/v1/transparency/entries?start=0").body());
        List<String> out = new ArrayList<>();
        page.path("entries").forEach(e -> out.add(e.path("entry").asText()));
        return out;
    }

    private static List<byte[]> hashes(JsonNode proof) {
        List<byte[]> out = new ArrayList<>();
        proof.path("proof").forEach(h -> out.add(B64.decode(h.asText())));
        return out;
    }

    private static String key(Gateway gateway) {
        IssuedKey key = ApiKeyIssuer.issue("transparency-it", Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return key.secret();
    }

    private static HttpResponse<String> get(Gateway gateway, String key, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
