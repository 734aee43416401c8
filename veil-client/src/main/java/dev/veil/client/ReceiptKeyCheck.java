package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.transparency.LogHead;
import dev.veil.protocol.e2ee.E2eeException;
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
 * Checks the answer of {@code GET /v1/transparency/receipt-key}: the receipt key must be logged as a
 * {@code receipt_key} entry whose inclusion proof leads to a tree head signed by the log key (the pinned one when the
 * client pins it, else the head's own). Only then do receipts verify with it.
 */
final class ReceiptKeyCheck {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private ReceiptKeyCheck() {
    }

    /**
     * A receipt key that verified, and the tree head its inclusion proof leads to: the caller checks that head against
     * the heads it keeps (a gateway must not show one log for nodes and another for its receipt key).
     */
    record Checked(byte[] key, LogHead head) {
    }

    /**
     * The raw receipt key the answer publishes, once its log entry, inclusion proof and tree head verified.
     *
     * @param pinnedLogKey the transparency log key the client pins, or {@code null}
     * @throws E2eeException.BadReceipt any check failed; the message names it
     */
    static Checked check(byte[] answer, byte[] pinnedLogKey) throws E2eeException.BadReceipt {
        try {
            JsonNode root = JSON.readTree(answer);
            byte[] key = bytes(root, "public_key");
            if (key.length != 32) {
                throw refused("the published key is not a raw 32-byte Ed25519 key");
            }
            String entry = root.path("entry").asText(null);
            if (entry == null) {
                throw refused("the answer carries no log entry");
            }
            JsonNode logged = JSON.readTree(entry);
            if (!"receipt_key".equals(logged.path("type").asText())
                    || !HexFormat.of().formatHex(key).equals(logged.path("public_key").asText())) {
                throw refused("the log entry does not name the published key");
            }
            if (!root.path("leaf_index").canConvertToLong()) {
                throw refused("the key is not in the gateway's transparency log");
            }
            JsonNode headJson = root.path("tree_head");
            LogHead head = LogHead.fromJson(headJson);
            head.verify(pinnedLogKey);
            List<byte[]> proof = new ArrayList<>();
            for (JsonNode h : root.path("proof")) {
                proof.add(Base64.getDecoder().decode(h.asText()));
            }
            ProofVerifier.verifyInclusion(root.path("leaf_index").asLong(), head.treeSize(),
                    MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8)), proof, head.rootHash());
            return new Checked(key, head);
        } catch (InvalidProof e) {
            throw refused(e.getMessage());
        } catch (IOException | IllegalArgumentException e) {
            throw refused("the answer is malformed");
        }
    }

    private static byte[] bytes(JsonNode object, String field) {
        JsonNode value = object.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException(field + " missing");
        }
        return Base64.getDecoder().decode(value.asText());
    }

    private static E2eeException.BadReceipt refused(String why) {
        return new E2eeException.BadReceipt("gateway receipt key: " + why);
    }
}
