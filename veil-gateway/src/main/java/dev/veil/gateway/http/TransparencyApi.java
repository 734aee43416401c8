package dev.veil.gateway.http;

import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.transparency.LogEntries;
import dev.veil.gateway.transparency.TransparencyLog;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.receipt.GatewayReceipt;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.SignedTreeHead;
import dev.veil.store.TransparencyEntry;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * The transparency log's read endpoints (docs/transparency.md): the signed tree head, entries by index, and inclusion
 * and consistency proofs. Binary values are base64, as in RFC 9162's JSON API; an entry is returned as the exact text
 * that was hashed, so a client hashes what it reads.
 */
public final class TransparencyApi {

    /** The path prefix this API serves. */
    public static final String PREFIX = "/v1/transparency/";
    /** The most entries one call returns. */
    static final int MAX_ENTRIES = 256;

    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final HexFormat HEX = HexFormat.of();
    /** The DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410): the raw 32 bytes follow it. */
    private static final byte[] ED25519_SPKI_PREFIX = HEX.parseHex("302a300506032b6570032100");

    private final TransparencyLog log;
    private final JsonWriter json;
    private final byte[] receiptKey;
    private final String receiptKeyEntry;

    /**
     * @param receiptKey the gateway's receipt key (raw Ed25519), served with its log entry at {@code receipt-key}
     */
    public TransparencyApi(TransparencyLog log, JsonWriter json, byte[] receiptKey) {
        this.log = log;
        this.json = json;
        this.receiptKey = receiptKey.clone();
        this.receiptKeyEntry = LogEntries.receiptKey(receiptKey);
    }

    /** The log it serves. */
    TransparencyLog log() {
        return log;
    }

    /** Writes the signed tree head's members (inside an object the caller opened). */
    static void writeHead(com.fasterxml.jackson.core.JsonGenerator g, SignedTreeHead head, byte[] logKey)
            throws java.io.IOException {
        g.writeNumberField("tree_size", head.treeSize());
        g.writeNumberField("timestamp", head.timestampMillis());
        g.writeStringField("root_hash", B64.encodeToString(head.rootHash()));
        g.writeStringField("signature", B64.encodeToString(head.signature()));
        g.writeStringField("log_key", B64.encodeToString(logKey));
    }

    /** Writes a proof as a {@code proof} array of base64 hashes. */
    static void writeProof(com.fasterxml.jackson.core.JsonGenerator g, List<byte[]> proof) throws java.io.IOException {
        proof(g, proof);
    }

    /** The JSON body for {@code path} with {@code query}, or a 4xx as {@link InvalidRequestException}. */
    public byte[] answer(String path, QueryParams query) throws InvalidRequestException {
        return switch (path.substring(PREFIX.length())) {
            case "head" -> head();
            case "entries" -> entries(query);
            case "proof/inclusion" -> inclusion(query);
            case "proof/consistency" -> consistency(query);
            case "receipt-key" -> receiptKey();
            default -> throw new InvalidRequestException(new OpenAiError(404, "Unknown transparency path; Veil serves "
                    + "GET /v1/transparency/head, /entries?start=&end=, /proof/inclusion?leaf_index=&tree_size= (or "
                    + "leaf_hash=), /proof/consistency?first=&second= and /receipt-key.", OpenAiError.INVALID_REQUEST, null,
                    "unknown_url"));
        };
    }

    private byte[] head() {
        SignedTreeHead head = log.head();
        return json.write(g -> {
            g.writeStartObject();
            writeHead(g, head, log.publicKey());
            g.writeEndObject();
        });
    }

    /**
     * The receipt key that signs every privacy receipt, as raw base64 and as PEM (for standard tools), with its log
     * entry and the entry's inclusion proof in the current signed tree head: a client that trusts the log key needs
     * nothing else to trust the receipt key (docs/privacy.md, "Signed receipts").
     */
    private byte[] receiptKey() {
        SignedTreeHead head = log.head();
        OptionalLong index = log.indexOf(HEX.formatHex(MerkleHash.leaf(receiptKeyEntry.getBytes(StandardCharsets.UTF_8))));
        boolean inHead = index.isPresent() && index.getAsLong() < head.treeSize();
        List<byte[]> proof = inHead ? log.inclusionProof(index.getAsLong(), head.treeSize()) : List.of();
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("algorithm", "ed25519");
            g.writeStringField("key_id", GatewayReceipt.keyId(receiptKey));
            g.writeStringField("public_key", B64.encodeToString(receiptKey));
            g.writeStringField("public_key_pem", pem(receiptKey));
            g.writeStringField("entry", receiptKeyEntry);
            if (inHead) {
                g.writeNumberField("leaf_index", index.getAsLong());
                proof(g, proof);
            } else {
                g.writeNullField("leaf_index");
            }
            g.writeObjectFieldStart("tree_head");
            writeHead(g, head, log.publicKey());
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    /** A raw Ed25519 public key as a PEM SubjectPublicKeyInfo (RFC 8410), which OpenSSL reads. */
    private static String pem(byte[] rawKey) {
        byte[] der = new byte[ED25519_SPKI_PREFIX.length + rawKey.length];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, der, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(rawKey, 0, der, ED25519_SPKI_PREFIX.length, rawKey.length);
        return "-----BEGIN PUBLIC KEY-----\n" + B64.encodeToString(der) + "\n-----END PUBLIC KEY-----\n";
    }

    private byte[] entries(QueryParams query) throws InvalidRequestException {
        long size = log.size();
        long start = number(query, "start", 0, 0, size);
        long end = number(query, "end", Math.min(size, start + MAX_ENTRIES), start, size);
        List<TransparencyEntry> entries = log.entries(start, Math.min(end, start + MAX_ENTRIES));
        return json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("tree_size", size);
            g.writeArrayFieldStart("entries");
            for (TransparencyEntry e : entries) {
                g.writeStartObject();
                g.writeNumberField("leaf_index", e.index());
                g.writeStringField("entry", e.entry());
                g.writeNumberField("created_at", e.createdAt());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private byte[] inclusion(QueryParams query) throws InvalidRequestException {
        long size = log.size();
        long treeSize = number(query, "tree_size", size, 1, size);
        long index;
        String leafHash = query.get("leaf_hash");
        if (leafHash != null) {
            OptionalLong found = log.indexOf(leafHash.toLowerCase(Locale.ROOT));
            if (found.isEmpty() || found.getAsLong() >= treeSize) {
                throw new InvalidRequestException(new OpenAiError(404, "No entry with this leaf_hash in the tree of "
                        + treeSize + " leaves.", OpenAiError.INVALID_REQUEST, "leaf_hash", "leaf_not_found"));
            }
            index = found.getAsLong();
        } else {
            index = number(query, "leaf_index", -1, 0, treeSize - 1);
            if (index < 0) {
                throw new InvalidRequestException(OpenAiError.invalidRequest("Name the leaf: leaf_index or leaf_hash.",
                        "leaf_index", "missing_parameter"));
            }
        }
        List<byte[]> proof = log.inclusionProof(index, treeSize);
        long leaf = index;
        return json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("leaf_index", leaf);
            g.writeNumberField("tree_size", treeSize);
            proof(g, proof);
            g.writeEndObject();
        });
    }

    private byte[] consistency(QueryParams query) throws InvalidRequestException {
        long size = log.size();
        long second = number(query, "second", size, 0, size);
        long first = number(query, "first", -1, 0, second);
        if (first < 0) {
            throw new InvalidRequestException(OpenAiError.invalidRequest("Name the older tree size: first.", "first",
                    "missing_parameter"));
        }
        List<byte[]> proof = log.consistencyProof(first, second);
        return json.write(g -> {
            g.writeStartObject();
            g.writeNumberField("first", first);
            g.writeNumberField("second", second);
            proof(g, proof);
            g.writeEndObject();
        });
    }

    private static void proof(com.fasterxml.jackson.core.JsonGenerator g, List<byte[]> proof) throws java.io.IOException {
        g.writeArrayFieldStart("proof");
        for (byte[] hash : proof) {
            g.writeString(B64.encodeToString(hash));
        }
        g.writeEndArray();
    }

    /** A whole number within {@code [min, max]}, {@code byDefault} when absent; a 400 naming it otherwise. */
    private static long number(QueryParams query, String name, long byDefault, long min, long max)
            throws InvalidRequestException {
        String text = query.get(name);
        if (text == null) {
            return byDefault;
        }
        try {
            long n = Long.parseLong(text.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new InvalidRequestException(OpenAiError.invalidRequest("\"" + name + "\" must be a whole number between "
                + min + " and " + max + " here.", name, "invalid_value"));
    }
}
