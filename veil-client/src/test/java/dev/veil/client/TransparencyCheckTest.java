package dev.veil.client;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.MerkleTree;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client's check of a node's publication in the transparency log, on answers built with a real tree and a real log
 * key: the good answer passes; a wrong identity, proof, head, signature or key is refused with the check named.
 */
class TransparencyCheckTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();

    private final SigningKey logKey = SigningKey.generate();
    private final SigningKey nodeKey = SigningKey.generate();
    private final VerifiedNode node = new VerifiedNode("simulated", "00112233445566778899aabbccddeeff", null,
            nodeKey.publicKey(), "ab".repeat(48), null);

    private String entry(String nodeKeyId) {
        return "{\"type\":\"node\",\"node\":\"n1\",\"format\":\"simulated\",\"simulated\":true,\"measurement\":\""
                + "ab".repeat(48) + "\",\"node_key_id\":\"" + nodeKeyId + "\",\"signing_key\":\""
                + HexFormat.of().formatHex(nodeKey.publicKey()) + "\"}";
    }

    /** An attestation answer whose log holds the log key, another node, and this node (leaf 2 of 3). */
    private ObjectNode answer(String loggedEntry) {
        List<String> entries = List.of("{\"type\":\"log_key\"}", entry("ffeeddccbbaa99887766554433221100"), loggedEntry);
        List<byte[]> leaves = new ArrayList<>();
        entries.forEach(e -> leaves.add(MerkleHash.leaf(e.getBytes(StandardCharsets.UTF_8))));
        SignedTreeHead head = SignedTreeHead.sign(logKey, 3, 1_000, MerkleTree.root(leaves, 3));
        ObjectNode root = JSON.createObjectNode();
        root.put("model", "m");
        root.putArray("nodes").addObject();
        ObjectNode log = root.putObject("transparency");
        ObjectNode h = log.putObject("tree_head");
        h.put("tree_size", 3).put("timestamp", 1_000).put("root_hash", B64.encodeToString(head.rootHash()))
                .put("signature", B64.encodeToString(head.signature())).put("log_key", B64.encodeToString(logKey.publicKey()));
        ObjectNode logged = log.putArray("nodes").addObject();
        logged.put("entry", loggedEntry).put("leaf_index", 2);
        ArrayNode proof = logged.putArray("proof");
        MerkleTree.inclusionProof(leaves, 2, 3).forEach(p -> proof.add(B64.encodeToString(p)));
        return root;
    }

    @Test
    void aPublishedNodePassesWithAndWithoutAPinnedKey() {
        ObjectNode good = answer(entry(node.nodeKeyId()));
        assertThatCode(() -> new TransparencyCheck(logKey.publicKey()).check(good, 0, node)).doesNotThrowAnyException();
        assertThatCode(() -> new TransparencyCheck(null).check(good, 0, node)).doesNotThrowAnyException();
    }

    @Test
    void everyTamperingIsRefusedWithItsOwnError() {
        refused(new TransparencyCheck(logKey.publicKey()), answer(entry("ffeeddccbbaa99887766554433221100")),
                TransparencyException.NotInLog.class, "does not match the verified evidence");
        ObjectNode badProof = answer(entry(node.nodeKeyId()));
        ((ArrayNode) badProof.path("transparency").path("nodes").get(0).path("proof")).set(0,
                B64.encodeToString(new byte[32]));
        refused(new TransparencyCheck(null), badProof, TransparencyException.NotInLog.class, "does not lead to the root");
        ObjectNode otherIndex = answer(entry(node.nodeKeyId()));
        ((ObjectNode) otherIndex.path("transparency").path("nodes").get(0)).put("leaf_index", 1);
        refused(new TransparencyCheck(null), otherIndex, TransparencyException.NotInLog.class, "transparency log");
        ObjectNode tamperedEntry = answer(entry(node.nodeKeyId()));
        ((ObjectNode) tamperedEntry.path("transparency").path("nodes").get(0)).put("entry",
                entry(node.nodeKeyId()).replace("\"n1\"", "\"n2\""));
        refused(new TransparencyCheck(null), tamperedEntry, TransparencyException.NotInLog.class,
                "does not lead to the root");
        ObjectNode badSignature = answer(entry(node.nodeKeyId()));
        ((ObjectNode) badSignature.path("transparency").path("tree_head")).put("tree_size", 4);
        refused(new TransparencyCheck(null), badSignature, TransparencyException.BadTreeHead.class,
                "signature does not verify");
        refused(new TransparencyCheck(SigningKey.generate().publicKey()), answer(entry(node.nodeKeyId())),
                TransparencyException.BadTreeHead.class, "other than the pinned one");
        ObjectNode none = answer(entry(node.nodeKeyId()));
        none.remove("transparency");
        refused(new TransparencyCheck(logKey.publicKey()), none, TransparencyException.NotInLog.class, "requires one");
        assertThatCode(() -> new TransparencyCheck(null).check(none, 0, node)).doesNotThrowAnyException();
        ObjectNode unpublished = answer(entry(node.nodeKeyId()));
        ((ArrayNode) unpublished.path("transparency").path("nodes")).set(0, JSON.nullNode());
        refused(new TransparencyCheck(logKey.publicKey()), unpublished, TransparencyException.NotInLog.class,
                "not in the gateway's transparency log");
        String duplicated = entry(node.nodeKeyId()).replace("\"node\":\"n1\"",
                "\"node_key_id\":\"ffeeddccbbaa99887766554433221100\",\"node\":\"n1\"");
        refused(new TransparencyCheck(null), answer(duplicated), TransparencyException.NotInLog.class, "malformed");
        ObjectNode garbage = answer(entry(node.nodeKeyId()));
        ((ObjectNode) garbage.path("transparency").path("tree_head")).put("root_hash", "not base64!");
        refused(new TransparencyCheck(null), garbage, TransparencyException.BadTreeHead.class, "malformed");
    }

    private void refused(TransparencyCheck check, JsonNode answer, Class<? extends AttestationException> type,
                         String why) {
        assertThatThrownBy(() -> check.check(answer, 0, node)).isInstanceOf(type).hasMessageStartingWith(
                "transparency log: ").hasMessageContaining(why);
    }
}
