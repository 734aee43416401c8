package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.transparency.LogHead;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.transparency.InvalidProof;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.ProofVerifier;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks that a node the client verified is published in the gateway's transparency log: the {@code transparency}
 * member of the attestation answer holds a tree head signed by the log key and, for the node, its logged identity with
 * an inclusion proof in that head (docs/transparency.md). The entry must name the same node key, measurement and
 * signing key as the evidence. With a pinned log key the check is required and the head must be signed by that key;
 * without one, a {@code transparency} member that is present is still checked, and a wrong one refused.
 *
 * <p>The head is checked once per answer ({@link #head}), each node against it ({@link #node}); a bad head is a
 * {@link TransparencyException.BadTreeHead}, an unpublished node a {@link TransparencyException.NotInLog}.
 */
final class TransparencyCheck {

    // Duplicate members are refused: a monitor and a client must never read one logged entry as two identities.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final byte[] pinnedLogKey;

    /** A check against {@code pinnedLogKey} (raw Ed25519), or {@code null} to check only what the gateway sends. */
    TransparencyCheck(byte[] pinnedLogKey) {
        this.pinnedLogKey = pinnedLogKey == null ? null : pinnedLogKey.clone();
    }

    /** The pinned log key, or null. */
    byte[] pinnedLogKey() {
        return pinnedLogKey == null ? null : pinnedLogKey.clone();
    }

    /**
     * The answer's tree head, its signature verified (with the pinned key when there is one); {@code null} when the
     * answer has no {@code transparency} member and no key is pinned.
     *
     * @throws TransparencyException.NotInLog    no log in the answer, and this client requires one
     * @throws TransparencyException.BadTreeHead the head is malformed, names another key or its signature fails
     */
    LogHead head(JsonNode root) throws TransparencyException {
        JsonNode log = root.get("transparency");
        if (log == null || log.isNull()) {
            if (pinnedLogKey != null) {
                throw new TransparencyException.NotInLog("the gateway sent no transparency log, and this client "
                        + "requires one");
            }
            return null;
        }
        try {
            LogHead head = LogHead.fromJson(log.get("tree_head"));
            head.verify(pinnedLogKey);
            return head;
        } catch (InvalidProof e) {
            throw new TransparencyException.BadTreeHead(e.getMessage());
        }
    }

    /**
     * Refuses node {@code index} of the answer {@code root} unless it is published as {@code node} in {@code head}
     * (from {@link #head}; null when the answer has no log and none is required, then nothing is checked).
     *
     * @throws TransparencyException.NotInLog the node has no entry (and a log is required), the entry is not this
     *                                        identity, or its inclusion proof does not lead to the head's root
     */
    void node(JsonNode root, int index, AttestationVerifier.VerifiedNode node, LogHead head)
            throws TransparencyException {
        if (head == null) {
            return;
        }
        JsonNode logged = root.path("transparency").path("nodes").get(index);
        if (logged == null || logged.isNull()) {
            // The gateway says the identity is not published: only a client that requires the log refuses it.
            if (pinnedLogKey != null) {
                throw new TransparencyException.NotInLog("the node's identity is not in the gateway's transparency log");
            }
            return;
        }
        try {
            JsonNode entryJson = logged.get("entry");
            if (entryJson == null || !entryJson.isTextual()) {
                throw new TransparencyException.NotInLog("the log entry is missing");
            }
            String entry = entryJson.asText();
            JsonNode identity = JSON.readTree(entry);
            if (identity == null || !"node".equals(identity.path("type").asText())
                    || !node.format().equals(identity.path("format").asText())
                    || node.simulated() != identity.path("simulated").asBoolean(!node.simulated())
                    || !node.nodeKeyId().equals(identity.path("node_key_id").asText())
                    || !node.measurement().equals(identity.path("measurement").asText())
                    || !HexFormat.of().formatHex(node.signingKey()).equals(identity.path("signing_key").asText())) {
                throw new TransparencyException.NotInLog("the logged identity does not match the verified evidence "
                        + "(format, node key, measurement or signing key)");
            }
            List<byte[]> proof = new ArrayList<>();
            for (JsonNode h : logged.path("proof")) {
                proof.add(Base64.getDecoder().decode(h.asText()));
            }
            JsonNode leafIndex = logged.get("leaf_index");
            ProofVerifier.verifyInclusion(leafIndex == null || !leafIndex.canConvertToLong() ? -1 : leafIndex.asLong(),
                    head.treeSize(), MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8)), proof, head.rootHash());
        } catch (InvalidProof e) {
            throw new TransparencyException.NotInLog(e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw new TransparencyException.NotInLog("the node's log entry or inclusion proof is malformed");
        }
    }

    /** {@link #head} then {@link #node}: the whole check of one node of one answer, without any kept head. */
    void check(JsonNode root, int index, AttestationVerifier.VerifiedNode node) throws TransparencyException {
        node(root, index, node, head(root));
    }
}
