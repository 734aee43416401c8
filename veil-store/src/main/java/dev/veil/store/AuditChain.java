package dev.veil.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The audit log's hash chain: the canonical encoding an entry's hash covers, and the stored form of its details.
 *
 * <p>An entry's hash is the SHA-256 of, in this order:
 *
 * <pre>
 * "veil audit v1" 0x00                  the 14-byte domain label
 * prev_hash                             32 bytes (the hex prev_hash decoded)
 * seq                                   8 bytes, unsigned big-endian
 * time                                  8 bytes, big-endian: epoch milliseconds
 * str(actor) str(action) str(subject)
 * count                                 4 bytes, big-endian: the number of details
 * str(key) str(value)                   for each detail, keys in ascending order (keys are ASCII)
 *
 * str(s) = 4-byte big-endian length of s in UTF-8 || the UTF-8 bytes of s
 * </pre>
 *
 * Lengths make the encoding unambiguous without escaping, so anyone can recompute a hash from an exported entry
 * ({@code GET /v1/admin/audit}) without reproducing a JSON serialiser. The oldest entry's {@code prev_hash} is 64
 * zeros ({@link #GENESIS}), or after a retention purge the hash of the last purged entry.
 */
public final class AuditChain {

    /** The {@code prev_hash} of the first entry ever appended: 32 zero bytes in hex. */
    public static final String GENESIS = "0".repeat(64);

    private static final byte[] DOMAIN = "veil audit v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final HexFormat HEX = HexFormat.of();
    private static final JsonFactory JSON = new JsonFactory();

    private AuditChain() {
    }

    /**
     * The lowercase hex hash of one entry.
     *
     * @param prevHash the hex hash before it (64 hex digits); anything else (only an edit makes one) is hashed as a
     *                 marker no real link has, so the entry does not verify
     */
    public static String hash(String prevHash, long seq, long timeMillis, String actor, String action, String subject,
                              SortedMap<String, String> details) {
        MessageDigest sha = sha256();
        sha.update(DOMAIN);
        sha.update(prevBytes(prevHash));
        sha.update(ByteBuffer.allocate(16).putLong(seq).putLong(timeMillis).array());
        str(sha, actor);
        str(sha, action);
        str(sha, subject);
        sha.update(ByteBuffer.allocate(4).putInt(details.size()).array());
        for (Map.Entry<String, String> detail : details.entrySet()) {
            str(sha, detail.getKey());
            str(sha, detail.getValue());
        }
        return HEX.formatHex(sha.digest());
    }

    /** The stored form of details: a compact JSON object of strings, keys sorted. */
    public static String detailsJson(SortedMap<String, String> details) {
        StringWriter out = new StringWriter(64);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            for (Map.Entry<String, String> detail : details.entrySet()) {
                g.writeStringField(detail.getKey(), detail.getValue());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Details read back from their stored form. A value that is not a string (only an edit can put one there) is kept
     * as its JSON text, so the entry's hash no longer matches and verification names it.
     *
     * @throws IllegalArgumentException when the text is not a JSON object
     */
    public static SortedMap<String, String> parseDetails(String json) {
        SortedMap<String, String> details = new TreeMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("audit details are not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    ByteArrayOutputStream copy = new ByteArrayOutputStream();
                    try (JsonGenerator g = JSON.createGenerator(copy)) {
                        g.copyCurrentStructure(p);
                    }
                    details.put(key, copy.toString(StandardCharsets.UTF_8));
                } else {
                    details.put(key, p.getText());
                }
            }
        } catch (IOException e) {
            // Jackson's message quotes the input; say only what is wrong.
            throw new IllegalArgumentException("audit details are not valid JSON");
        }
        return details;
    }

    private static byte[] prevBytes(String prevHash) {
        if (prevHash != null && prevHash.length() == 64) {
            try {
                return HEX.parseHex(prevHash);
            } catch (IllegalArgumentException notHex) {
                // falls through: hashed as a marker that cannot equal a real link
            }
        }
        byte[] marker = new byte[32];
        marker[0] = (byte) 0xff;
        return marker;
    }

    private static void str(MessageDigest sha, String value) {
        byte[] bytes = (value == null ? "" : value).getBytes(StandardCharsets.UTF_8);
        sha.update(ByteBuffer.allocate(4).putInt(bytes.length).array());
        sha.update(bytes);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
