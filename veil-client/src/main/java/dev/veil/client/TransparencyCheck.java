package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.transparency.InvalidProof;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.ProofVerifier;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * Checks that a node the client verified is published in the gateway's transparency log: the {@code transparency}
 * member of the attestation answer holds a tree head signed by the log key and, for the node, its logged identity with
 * an inclusion proof in that head (docs/transparency.md). The entry must name the same node key, measurement and
 * signing key as the evidence. With a pinned log key the check is required and the head must be signed by that key;
 * without one, a {@code transparency} member that is present is still checked, and a wrong one refused.
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

    /** Refuses node {@code index} of the answer {@code root} unless it is published as {@code node}. */
    void check(JsonNode root, int index, AttestationVerifier.VerifiedNode node) throws AttestationException {
        JsonNode log = root.get("transparency");
        if (log == null || log.isNull()) {
            if (pinnedLogKey != null) {
                throw refused("the gateway sent no transparency log, and this client requires one");
            }
            return;
        }
        JsonNode logged = log.path("nodes").get(index);
        if (logged == null || logged.isNull()) {
            // The gateway says the identity is not published: only a client that requires the log refuses it.
            if (pinnedLogKey != null) {
                throw refused("the node's identity is not in the gateway's transparency log");
            }
            return;
        }
        try {
            JsonNode headJson = log.path("tree_head");
            byte[] sentKey = bytes(headJson, "log_key");
            if (pinnedLogKey != null && !Arrays.equals(pinnedLogKey, sentKey)) {
                throw refused("the tree head names a log key other than the pinned one");
            }
            SignedTreeHead head = new SignedTreeHead(headJson.path("tree_size").asLong(-1),
                    headJson.path("timestamp").asLong(-1), bytes(headJson, "root_hash"), bytes(headJson, "signature"));
            head.verify(pinnedLogKey != null ? pinnedLogKey : sentKey);
            String entry = logged.path("entry").asText(null);
            if (entry == null) {
                throw refused("the log entry is missing");
            }
            JsonNode identity = JSON.readTree(entry);
            if (!"node".equals(identity.path("type").asText())
                    || !node.format().equals(identity.path("format").asText())
                    || node.simulated() != identity.path("simulated").asBoolean(!node.simulated())
                    || !node.nodeKeyId().equals(identity.path("node_key_id").asText())
                    || !node.measurement().equals(identity.path("measurement").asText())
                    || !HexFormat.of().formatHex(node.signingKey()).equals(identity.path("signing_key").asText())) {
                throw refused("the logged identity does not match the verified evidence (format, node key, "
                        + "measurement or signing key)");
            }
            List<byte[]> proof = new ArrayList<>();
            for (JsonNode h : logged.path("proof")) {
                proof.add(Base64.getDecoder().decode(h.asText()));
            }
            ProofVerifier.verifyInclusion(logged.path("leaf_index").asLong(-1), head.treeSize(),
                    MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8)), proof, head.rootHash());
        } catch (InvalidProof e) {
            throw refused(e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw refused("the transparency member is malformed");
        }
    }

    private static byte[] bytes(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(field + " missing");
        }
        return Base64.getDecoder().decode(value.asText());
    }

    private static AttestationException refused(String why) {
        return new AttestationException.InvalidEvidence("transparency log: " + why);
    }
}
