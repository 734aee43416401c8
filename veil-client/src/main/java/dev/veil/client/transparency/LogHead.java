package dev.veil.client.transparency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.transparency.InvalidProof;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A signed tree head together with the log key it names, in the JSON shape of {@code GET /v1/transparency/head}
 * ({@code tree_size}, {@code timestamp}, {@code root_hash}, {@code signature}, {@code log_key}; binary values base64).
 *
 * @param head   the signed head
 * @param logKey the raw 32-byte Ed25519 key the head says it is signed with
 */
public record LogHead(SignedTreeHead head, byte[] logKey) {

    public LogHead {
        if (head == null || logKey == null || logKey.length != 32) {
            throw new IllegalArgumentException("a log head needs a signed head and a 32-byte log key");
        }
        logKey = logKey.clone();
    }

    /**
     * Reads a head from its JSON object.
     *
     * @throws InvalidProof a member is missing, of the wrong type, not base64, or of the wrong length
     */
    public static LogHead fromJson(JsonNode json) throws InvalidProof {
        if (json == null || !json.isObject()) {
            throw new InvalidProof("the tree head is not a JSON object");
        }
        try {
            SignedTreeHead head = new SignedTreeHead(whole(json, "tree_size"), whole(json, "timestamp"),
                    bytes(json, "root_hash"), bytes(json, "signature"));
            return new LogHead(head, bytes(json, "log_key"));
        } catch (IllegalArgumentException e) {
            throw new InvalidProof("the tree head is malformed: " + e.getMessage());
        }
    }

    /** The head as the JSON object {@link #fromJson} reads. */
    public ObjectNode toJson() {
        Base64.Encoder b64 = Base64.getEncoder();
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("tree_size", head.treeSize());
        o.put("timestamp", head.timestampMillis());
        o.put("root_hash", b64.encodeToString(head.rootHash()));
        o.put("signature", b64.encodeToString(head.signature()));
        o.put("log_key", b64.encodeToString(logKey));
        return o;
    }

    /**
     * Checks the signature with the head's own key, and that this key is {@code pinned} when one is given.
     *
     * @throws InvalidProof the head names another key than the pinned one, or the signature does not verify
     */
    public void verify(byte[] pinned) throws InvalidProof {
        if (pinned != null && !Arrays.equals(pinned, logKey)) {
            throw new InvalidProof("the tree head names a log key other than the pinned one");
        }
        head.verify(logKey);
    }

    /** The number of leaves. */
    public long treeSize() {
        return head.treeSize();
    }

    /** The root hash (a copy). */
    public byte[] rootHash() {
        return head.rootHash();
    }

    /** The log key as lowercase hex: how heads of one log are told from another's. */
    public String logKeyHex() {
        return HexFormat.of().formatHex(logKey);
    }

    @Override
    public byte[] logKey() {
        return logKey.clone();
    }

    /** Whether {@code other} is a head of the same tree: same log key, size and root (time and signature may differ). */
    public boolean sameTree(LogHead other) {
        return other != null && Arrays.equals(logKey, other.logKey) && head.treeSize() == other.head.treeSize()
                && Arrays.equals(head.rootHash(), other.head.rootHash());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogHead h && h.head.equals(head) && Arrays.equals(h.logKey, logKey);
    }

    @Override
    public int hashCode() {
        return head.hashCode() * 31 + Arrays.hashCode(logKey);
    }

    @Override
    public String toString() {
        return "LogHead[size=" + head.treeSize() + ", time=" + head.timestampMillis() + "]";
    }

    private static long whole(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new IllegalArgumentException("'" + field + "' is not a whole number");
        }
        return v.asLong();
    }

    private static byte[] bytes(JsonNode json, String field) {
        JsonNode v = json.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' is missing");
        }
        try {
            return Base64.getDecoder().decode(v.asText());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + field + "' is not base64");
        }
    }
}
