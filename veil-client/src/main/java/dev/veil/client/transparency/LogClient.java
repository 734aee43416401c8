package dev.veil.client.transparency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.transparency.InvalidProof;
import dev.veil.protocol.transparency.MerkleHash;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * Reads a gateway's transparency log endpoints (docs/transparency.md): the signed tree head, entries by index and
 * consistency proofs. Every answer is read within a size cap and a time limit ({@link BoundedHttp}); an answer that
 * is not what the endpoint documents is a {@link BadAnswer}, never a partial result.
 */
public final class LogClient {

    /** The most entries the gateway returns per call. */
    public static final int PAGE = 256;
    /** Default limit for one whole answer. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    static final int MAX_HEAD_BYTES = 16 * 1024;
    static final int MAX_PROOF_BYTES = 16 * 1024;
    /** 256 entries of a few KiB each (a node with GPUs); a page larger than this is refused. */
    static final int MAX_ENTRIES_BYTES = 8 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final String origin;
    private final String apiKey;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param origin  the gateway's origin, e.g. {@code https://gateway.example} (no {@code /v1})
     * @param apiKey  the API key the endpoints require, or {@code null}
     * @param http    the HTTP client to use
     * @param timeout the limit for each whole answer
     */
    public LogClient(String origin, String apiKey, HttpClient http, Duration timeout) {
        this.origin = Objects.requireNonNull(origin, "origin");
        this.apiKey = apiKey;
        this.http = Objects.requireNonNull(http, "http");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The gateway answered, but not with what the endpoint documents (an error status, bad JSON, a bad member). */
    public static final class BadAnswer extends Exception {
        private final int status;

        /** An answer refused with {@code message}; {@code status} is the HTTP status it came with. */
        public BadAnswer(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        /** The HTTP status of the answer. */
        public int status() {
            return status;
        }
    }

    /** One logged entry: its index, its exact text (what was hashed) and when it was appended (epoch ms). */
    public record Entry(long index, String text, long createdAt) {
        /** The RFC 9162 leaf hash of the entry's UTF-8 text. */
        public byte[] leafHash() {
            return MerkleHash.leaf(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    /** The origin this client reads. */
    public String origin() {
        return origin;
    }

    /** {@code GET /v1/transparency/head}: the current signed head (not yet verified). */
    public LogHead head() throws IOException, BadAnswer {
        JsonNode json = get("/v1/transparency/head", MAX_HEAD_BYTES);
        try {
            return LogHead.fromJson(json);
        } catch (InvalidProof e) {
            throw new BadAnswer(200, e.getMessage());
        }
    }

    /**
     * {@code GET /v1/transparency/entries?start=&end=}: entries {@code start} up to {@code end} (exclusive), at most
     * {@link #PAGE}; checked to be consecutive from {@code start}, non-empty and within the range asked for.
     */
    public List<Entry> entries(long start, long end) throws IOException, BadAnswer {
        if (start < 0 || end <= start) {
            throw new IllegalArgumentException("entries need 0 <= start < end");
        }
        JsonNode json = get("/v1/transparency/entries?start=" + start + "&end=" + end, MAX_ENTRIES_BYTES);
        JsonNode array = json.get("entries");
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new BadAnswer(200, "the entries answer for " + start + ".." + end + " holds no entries");
        }
        if (array.size() > end - start || array.size() > PAGE) {
            throw new BadAnswer(200, "the entries answer holds more entries than were asked for");
        }
        List<Entry> entries = new ArrayList<>(array.size());
        long expected = start;
        for (JsonNode e : array) {
            JsonNode text = e.get("entry");
            if (e.path("leaf_index").asLong(-1) != expected || text == null || !text.isTextual()) {
                throw new BadAnswer(200, "entry " + expected + " is missing, out of order or malformed");
            }
            entries.add(new Entry(expected, text.asText(), e.path("created_at").asLong(0)));
            expected++;
        }
        return entries;
    }

    /** {@code GET /v1/transparency/proof/consistency?first=&second=}: the proof's hashes (not yet verified). */
    public List<byte[]> consistencyProof(long first, long second) throws IOException, BadAnswer {
        JsonNode json = get("/v1/transparency/proof/consistency?first=" + first + "&second=" + second,
                MAX_PROOF_BYTES);
        if (json.path("first").asLong(-1) != first || json.path("second").asLong(-1) != second) {
            throw new BadAnswer(200, "the consistency proof is for other tree sizes than were asked for");
        }
        return hashes(json.get("proof"));
    }

    /** A JSON array of base64 hashes, as the proof endpoints give them. */
    static List<byte[]> hashes(JsonNode array) throws BadAnswer {
        if (array == null || !array.isArray()) {
            throw new BadAnswer(200, "the proof is missing");
        }
        List<byte[]> hashes = new ArrayList<>(array.size());
        for (JsonNode h : array) {
            if (!h.isTextual()) {
                throw new BadAnswer(200, "a proof component is not a string");
            }
            try {
                hashes.add(Base64.getDecoder().decode(h.asText()));
            } catch (IllegalArgumentException e) {
                throw new BadAnswer(200, "a proof component is not base64");
            }
        }
        return hashes;
    }

    private JsonNode get(String path, int cap) throws IOException, BadAnswer {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(origin + path)).timeout(timeout).GET();
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        BoundedHttp.Answer answer;
        try {
            answer = BoundedHttp.send(http, request.build(), cap, timeout);
        } catch (BoundedHttp.TooLarge e) {
            throw new BadAnswer(200, "the answer of " + path.replaceAll("\\?.*", "") + " is larger than " + cap
                    + " bytes");
        }
        JsonNode json;
        try {
            json = JSON.readTree(answer.body());
        } catch (IOException e) {
            json = null;
        }
        if (answer.status() != 200) {
            String code = json == null ? "" : json.path("error").path("code").asText("");
            String message = json == null ? "" : json.path("error").path("message").asText("");
            message = message.length() > 200 ? message.substring(0, 200) + "..." : message;
            throw new BadAnswer(answer.status(), "the gateway answered HTTP " + answer.status()
                    + (code.isEmpty() ? "" : " " + code) + (message.isEmpty() ? "" : ": " + message));
        }
        if (json == null || !json.isObject()) {
            throw new BadAnswer(200, "the answer of " + path.replaceAll("\\?.*", "") + " is not a JSON object");
        }
        return json;
    }
}
