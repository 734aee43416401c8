package dev.veil.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.MerkleTree;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A rogue gateway in front of a real one: it relays every request to the real gateway and, depending on its
 * {@link Mode}, rewrites the transparency log it shows. The forks are built with the real log's signing key and the
 * real tree and proof code, so they are what an operator who controls its log key could serve: a whole alternative
 * history whose heads, entries and proofs all agree with each other, detectable only by a client that kept a head of
 * the real history.
 */
final class LogForgingRelay implements AutoCloseable {

    /** What the relay shows of the log. */
    enum Mode {
        /** Relays everything unchanged. */
        HONEST,
        /** The attestation answer says no node is in the log. */
        NODE_MISSING,
        /** One bit of each node's inclusion proof flipped. */
        PROOF_TAMPERED,
        /** Each node's log entry text changed (its identity members left as they are). */
        ENTRY_TAMPERED,
        /** One bit of the tree head's root flipped, in the attestation answer and the head endpoint. */
        HEAD_TAMPERED,
        /** {@code /v1/transparency/entries} serves one entry changed; the head is the real one. */
        ENTRIES_TAMPERED,
        /** A fork of the same size: the first entry rewritten, everything re-signed with the log key. */
        FORK,
        /** A fork that also grows: the first entry rewritten and a special node appended, re-signed. */
        FORK_GROWN
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Set<String> HOP = Set.of("host", "connection", "content-length", "transfer-encoding",
            "expect", "upgrade", "keep-alive");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String gateway;
    private final SigningKey logKey;
    private final String apiKey;
    private volatile Mode mode = Mode.HONEST;

    /**
     * @param gateway the real gateway's origin
     * @param logKey  the real log's signing key (read from the gateway's data directory)
     * @param apiKey  an API key of the real gateway, to read its log when building a fork
     */
    LogForgingRelay(String gateway, SigningKey logKey, String apiKey) throws IOException {
        this.gateway = gateway;
        this.logKey = logKey;
        this.apiKey = apiKey;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    void mode(Mode mode) {
        this.mode = mode;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        http.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String query = exchange.getRequestURI().getRawQuery();
            Mode now = mode;
            if (path.startsWith("/v1/transparency/") && (now == Mode.FORK || now == Mode.FORK_GROWN)) {
                reply(exchange, 200, "application/json", forkedLogAnswer(path, query, fork(now)));
                return;
            }
            HttpResponse<byte[]> real = forward(exchange);
            byte[] body = real.body();
            if (real.statusCode() == 200 && path.equals("/v1/attestation") && now != Mode.HONEST) {
                body = rewriteAttestation(body, now);
            } else if (real.statusCode() == 200 && path.equals("/v1/transparency/head") && now == Mode.HEAD_TAMPERED) {
                ObjectNode head = (ObjectNode) JSON.readTree(body);
                flipRoot(head);
                body = JSON.writeValueAsBytes(head);
            } else if (real.statusCode() == 200 && path.equals("/v1/transparency/entries")
                    && now == Mode.ENTRIES_TAMPERED) {
                ObjectNode json = (ObjectNode) JSON.readTree(body);
                ObjectNode first = (ObjectNode) json.path("entries").get(0);
                first.put("entry", first.path("entry").asText().replace("\"type\":", "\"type\" :"));
                body = JSON.writeValueAsBytes(json);
            }
            exchange.getResponseHeaders().clear();
            real.headers().map().forEach((name, values) -> {
                if (!HOP.contains(name.toLowerCase(Locale.ROOT)) && !name.startsWith(":")) {
                    exchange.getResponseHeaders().put(name, values);
                }
            });
            exchange.sendResponseHeaders(real.statusCode(), body.length == 0 ? -1 : body.length);
            if (body.length > 0) {
                exchange.getResponseBody().write(body);
            }
        } catch (Exception e) {
            // The client sees a cut connection; the test then fails on what it expected.
        }
    }

    private HttpResponse<byte[]> forward(HttpExchange exchange) throws IOException, InterruptedException {
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(16 * 1024 * 1024);
        }
        URI uri = URI.create(gateway + exchange.getRequestURI().toString());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!HOP.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> request.header(name, v));
            }
        });
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private byte[] rewriteAttestation(byte[] body, Mode now) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(body);
        ObjectNode log = (ObjectNode) root.get("transparency");
        ArrayNode nodes = (ArrayNode) log.get("nodes");
        switch (now) {
            case NODE_MISSING -> {
                for (int i = 0; i < nodes.size(); i++) {
                    nodes.set(i, JSON.nullNode());
                }
            }
            case PROOF_TAMPERED -> {
                for (JsonNode node : nodes) {
                    ArrayNode proof = (ArrayNode) node.get("proof");
                    byte[] first = Base64.getDecoder().decode(proof.get(0).asText());
                    first[0] ^= 0x01;
                    proof.set(0, B64.encodeToString(first));
                }
            }
            case ENTRY_TAMPERED -> {
                for (JsonNode node : nodes) {
                    ((ObjectNode) node).put("entry", node.path("entry").asText().replace("\"node\":\"",
                            "\"node\":\"x"));
                }
            }
            case HEAD_TAMPERED -> {
                flipRoot((ObjectNode) log.get("tree_head"));
            }
            case FORK, FORK_GROWN -> {
                Fork fork = fork(now);
                log.set("tree_head", fork.head());
                for (JsonNode node : nodes) {
                    ObjectNode n = (ObjectNode) node;
                    int index = n.path("leaf_index").asInt();
                    ArrayNode proof = n.putArray("proof");
                    MerkleTree.inclusionProof(fork.leaves(), index, fork.leaves().size())
                            .forEach(h -> proof.add(B64.encodeToString(h)));
                }
            }
            default -> {
            }
        }
        return JSON.writeValueAsBytes(root);
    }

    private static void flipRoot(ObjectNode head) {
        byte[] rootHash = Base64.getDecoder().decode(head.path("root_hash").asText());
        rootHash[31] ^= 0x01;
        head.put("root_hash", B64.encodeToString(rootHash));
    }

    /** The alternative history: the real entries with the first rewritten (and, grown, one more node). */
    private record Fork(List<String> entries, List<byte[]> leaves, ObjectNode head) {
    }

    private Fork fork(Mode now) throws IOException, InterruptedException {
        List<String> entries = new ArrayList<>();
        JsonNode real = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(gateway
                        + "/v1/transparency/entries?start=0")).header("authorization", "Bearer " + apiKey).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body());
        real.path("entries").forEach(e -> entries.add(e.path("entry").asText()));
        entries.set(0, "{\"type\":\"log_key\",\"public_key\":\"" + HexFormat.of().formatHex(logKey.publicKey())
                + "\",\"note\":\"forked history\"}");
        if (now == Mode.FORK_GROWN) {
            entries.add("{\"type\":\"node\",\"node\":\"special\",\"format\":\"simulated\",\"simulated\":true,"
                    + "\"measurement\":\"" + "ee".repeat(48) + "\",\"node_key_id\":\"" + "11".repeat(16)
                    + "\",\"signing_key\":\"" + "22".repeat(32) + "\",\"declaration\":null}");
        }
        List<byte[]> leaves = new ArrayList<>();
        entries.forEach(e -> leaves.add(MerkleHash.leaf(e.getBytes(StandardCharsets.UTF_8))));
        SignedTreeHead signed = SignedTreeHead.sign(logKey, leaves.size(), System.currentTimeMillis(),
                MerkleTree.root(leaves, leaves.size()));
        ObjectNode head = JSON.createObjectNode();
        head.put("tree_size", signed.treeSize()).put("timestamp", signed.timestampMillis())
                .put("root_hash", B64.encodeToString(signed.rootHash()))
                .put("signature", B64.encodeToString(signed.signature()))
                .put("log_key", B64.encodeToString(logKey.publicKey()));
        return new Fork(entries, leaves, head);
    }

    /** The fork's own log endpoints: head, entries and consistency proofs all from the forked tree. */
    private static byte[] forkedLogAnswer(String path, String query, Fork fork) throws IOException {
        java.util.Map<String, Long> params = new java.util.HashMap<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                params.put(kv[0], Long.parseLong(kv[1]));
            }
        }
        int size = fork.leaves().size();
        ObjectNode out = JSON.createObjectNode();
        switch (path) {
            case "/v1/transparency/head" -> out = fork.head();
            case "/v1/transparency/entries" -> {
                long start = params.getOrDefault("start", 0L);
                long end = Math.min(size, params.getOrDefault("end", (long) size));
                out.put("tree_size", size);
                ArrayNode entries = out.putArray("entries");
                for (long i = start; i < end; i++) {
                    entries.addObject().put("leaf_index", i).put("entry", fork.entries().get((int) i))
                            .put("created_at", 1_000L);
                }
            }
            case "/v1/transparency/proof/consistency" -> {
                long first = params.get("first");
                long second = params.getOrDefault("second", (long) size);
                out.put("first", first).put("second", second);
                ArrayNode proof = out.putArray("proof");
                MerkleTree.consistencyProof(fork.leaves(), first, Math.min(second, size))
                        .forEach(h -> proof.add(B64.encodeToString(h)));
            }
            default -> out.put("error", "not served by the relay");
        }
        return JSON.writeValueAsBytes(out);
    }

    private static void reply(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("content-type", type);
        exchange.sendResponseHeaders(status, body.length);
        exchange.getResponseBody().write(body);
    }
}
