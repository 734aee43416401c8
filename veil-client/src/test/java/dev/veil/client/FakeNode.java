package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.SimulatedEvidence;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.OpenedRequest;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.e2ee.ReplayGuard;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.ResponseSealer;
import dev.veil.protocol.e2ee.SignedReceipt;
import dev.veil.protocol.e2ee.SigningKey;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import dev.veil.protocol.receipt.GatewayReceipt;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.MerkleTree;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fake Veil gateway with one simulated node behind it, built from the protocol classes: serves
 * {@code /v1/attestation} in the gateway's shape (or a node's), e2ee inference (whole and SSE) with receipts, and
 * {@code /v1/models}; misbehaves on demand.
 */
public final class FakeNode implements AutoCloseable {

    public static final String MODEL = "test-model";
    public static final String API_KEY = "vk_test_key";
    public static final byte[] MEASUREMENT = SimulatedEvidence.measure("veil-node fake 1.0");
    public static final AttestationPolicy DEV = new AttestationPolicy(Set.of(), Set.of(), true);
    public static final List<String> EVENTS = List.of(
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"!\"}}]}\n\n",
            "data: [DONE]\n\n");
    /** A model the gateway serves in plaintext only (no Veil node): listed, but not attestable. */
    public static final String PLAIN_MODEL = "plain-model";
    public static final String E2EE_MODEL_JSON = "{\"id\":\"test-model\",\"object\":\"model\",\"owned_by\":\"veil\","
            + "\"privacy\":{\"mode\":\"e2ee\",\"routes\":[]}}";
    public static final String PLAIN_MODEL_JSON = "{\"id\":\"plain-model\",\"object\":\"model\",\"owned_by\":\"veil\","
            + "\"privacy\":{\"mode\":\"private\",\"routes\":[]}}";
    /** The gateway's model list: each model with its privacy object, as Veil's gateway answers it. */
    public static final String MODELS = "{\"object\":\"list\",\"data\":[" + E2EE_MODEL_JSON + "," + PLAIN_MODEL_JSON + "]}";

    /** What to do wrong. */
    public enum Mode {
        NONE, NODE_SHAPE, EMPTY_NODES, FIRST_NODE_STALE, WRONG_NONCE, KEY_NOT_BOUND,
        REORDER, DROP, TAMPER_FIRST_EVENT, TAMPER_FINAL, TRUNCATE, TRAILING, NO_RECEIPT, BAD_RECEIPT_SIGNATURE,
        RECEIPT_OTHER_REQUEST, UNKNOWN_KEY_ONCE, UNKNOWN_KEY_ALWAYS, PLAINTEXT_ANSWER, BREAK_CONNECTION, ENGINE_ERROR,
        NO_COMPLIANT_ROUTE, GATEWAY_RECEIPT_MISSING, GATEWAY_RECEIPT_FORGED, GATEWAY_RECEIPT_OTHER_BODY,
        GATEWAY_RECEIPT_BIT_FLIPPED, RECEIPT_KEY_NOT_LOGGED
    }

    /** The fake gateway's receipt key, published (with a one-entry log) at /v1/transparency/receipt-key. */
    public final SigningKey receiptKey = SigningKey.generate();
    /** The fake gateway's transparency log key. */
    public final SigningKey logKey = SigningKey.generate();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final SigningKey signing = SigningKey.generate();
    private volatile NodeKeyPair keys = NodeKeyPair.generate(1);
    private volatile ReplayGuard replay = new ReplayGuard(1000);
    private volatile boolean rotatedOnce;

    public volatile Mode mode = Mode.NONE;
    /** When set, a stream pauses after its first event until this completes (or 5 s pass). */
    public volatile CompletableFuture<Boolean> gate;
    /** Whether the gate was opened by the client (true) or timed out (false); null until a gated stream ran. */
    public volatile Boolean gateOpened;
    public final AtomicInteger attestations = new AtomicInteger();
    public final AtomicInteger inferences = new AtomicInteger();
    public final AtomicInteger modelCalls = new AtomicInteger();
    public final List<String> plaintexts = Collections.synchronizedList(new ArrayList<>());
    public final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());

    public FakeNode() throws Exception {
        server = vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** Back to good behaviour, counters cleared. */
    public void reset() {
        mode = Mode.NONE;
        gate = null;
        gateOpened = null;
        rotatedOnce = false;
        attestations.set(0);
        inferences.set(0);
        modelCalls.set(0);
        plaintexts.clear();
        authorizations.clear();
    }

    public String url() {
        return "http://127.0.0.1:" + server.actualPort();
    }

    public String nodeKeyId() {
        return keys.keyConfig().nodeKeyId();
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void handle(HttpServerRequest request) {
        String path = request.path();
        authorizations.add(String.valueOf(request.getHeader("authorization")));
        if (!("Bearer " + API_KEY).equals(request.getHeader("authorization"))) {
            error(request.response(), new OpenAiError(401, "Invalid API key.", OpenAiError.AUTHENTICATION, null,
                    "invalid_api_key"));
            return;
        }
        switch (path) {
            case "/v1/attestation" -> attestation(request);
            case "/v1/transparency/receipt-key" -> receiptKeyAnswer(request);
            case "/v1/models" -> {
                modelCalls.incrementAndGet();
                request.response().putHeader("content-type", "application/json").end(MODELS);
            }
            case "/v1/chat/completions", "/v1/completions", "/v1/embeddings" ->
                    request.body().onSuccess(body -> inference(request, path, body.getBytes()));
            default -> {
                if (path.equals("/v1/models/" + MODEL)) {
                    modelCalls.incrementAndGet();
                    request.response().putHeader("content-type", "application/json").end(E2EE_MODEL_JSON);
                } else if (path.equals("/v1/models/" + PLAIN_MODEL)) {
                    modelCalls.incrementAndGet();
                    request.response().putHeader("content-type", "application/json").end(PLAIN_MODEL_JSON);
                } else if (path.startsWith("/v1/models/")) {
                    error(request.response(), new OpenAiError(404, "The model does not exist.", OpenAiError.INVALID_REQUEST,
                            "model", "model_not_found"));
                } else {
                    error(request.response(), new OpenAiError(404, "unknown path", OpenAiError.INVALID_REQUEST, null,
                            "unknown_url"));
                }
            }
        }
    }

    private void attestation(HttpServerRequest request) {
        attestations.incrementAndGet();
        byte[] nonce = E2ee.unhex(request.getParam("nonce"));
        String model = request.getParam("model");
        if (PLAIN_MODEL.equals(model)) {
            // As the gateway answers for a model no Veil node serves.
            error(request.response(), new OpenAiError(400, "This model is not served by attested nodes on this gateway.",
                    OpenAiError.INVALID_REQUEST, "model", "model_not_attested"));
            return;
        }
        if (!MODEL.equals(model)) {
            error(request.response(), new OpenAiError(404, "The model does not exist.", OpenAiError.INVALID_REQUEST,
                    "model", "model_not_found"));
            return;
        }
        NodeKeyPair current = keys;
        Evidence good = SimulatedEvidence.attest(current.keyConfig(), signing, nonce, MEASUREMENT);
        List<Evidence> nodes = switch (mode) {
            case EMPTY_NODES -> List.of();
            case WRONG_NONCE -> List.of(SimulatedEvidence.attest(current.keyConfig(), signing, random(32), MEASUREMENT));
            case FIRST_NODE_STALE -> List.of(
                    SimulatedEvidence.attest(current.keyConfig(), signing, random(32), MEASUREMENT), good);
            case KEY_NOT_BOUND -> {
                NodeKeyPair other = NodeKeyPair.generate(9);
                yield List.of(new Evidence(good.format(), other.keyConfig().nodeKeyId(), other.keyConfig().encoded(),
                        good.signingKey(), good.nonce(), good.reportData(), good.raw(), good.measurement()));
            }
            default -> List.of(good);
        };
        StringBuilder json = new StringBuilder();
        if (mode == Mode.NODE_SHAPE) {
            json.append(new String(good.toJson(), StandardCharsets.UTF_8));
        } else {
            json.append("{\"model\":\"").append(MODEL).append("\",\"nodes\":[");
            for (int i = 0; i < nodes.size(); i++) {
                json.append(i == 0 ? "" : ",").append(new String(nodes.get(i).toJson(), StandardCharsets.UTF_8));
            }
            json.append("]}");
        }
        request.response().putHeader("content-type", "application/json").end(json.toString());
    }

    /** As the gateway answers it: the key, its log entry, and its inclusion proof in a signed two-leaf tree. */
    private void receiptKeyAnswer(HttpServerRequest request) {
        String hex = java.util.HexFormat.of().formatHex(receiptKey.publicKey());
        String entry = "{\"type\":\"receipt_key\",\"public_key\":\""
                + (mode == Mode.RECEIPT_KEY_NOT_LOGGED ? java.util.HexFormat.of().formatHex(random(32)) : hex) + "\"}";
        String logEntry = "{\"type\":\"log_key\",\"public_key\":\"" + java.util.HexFormat.of().formatHex(logKey.publicKey())
                + "\"}";
        List<byte[]> leaves = List.of(MerkleHash.leaf(logEntry.getBytes(StandardCharsets.UTF_8)),
                MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8)));
        SignedTreeHead head = SignedTreeHead.sign(logKey, 2, System.currentTimeMillis(), MerkleTree.root(leaves, 2));
        java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
        StringBuilder proof = new StringBuilder();
        for (byte[] h : MerkleTree.inclusionProof(leaves, 1, 2)) {
            proof.append(proof.isEmpty() ? "" : ",").append('"').append(b64.encodeToString(h)).append('"');
        }
        String answer = "{\"algorithm\":\"ed25519\",\"key_id\":\"" + GatewayReceipt.keyId(receiptKey.publicKey())
                + "\",\"public_key\":\"" + b64.encodeToString(receiptKey.publicKey()) + "\",\"entry\":" + quote(entry)
                + ",\"leaf_index\":1,\"proof\":[" + proof + "],\"tree_head\":{\"tree_size\":2,\"timestamp\":"
                + head.timestampMillis() + ",\"root_hash\":\"" + b64.encodeToString(head.rootHash()) + "\",\"signature\":\""
                + b64.encodeToString(head.signature()) + "\",\"log_key\":\"" + b64.encodeToString(logKey.publicKey()) + "\"}}";
        request.response().putHeader("content-type", "application/json").end(answer);
    }

    /** The gateway's signed receipt headers for a request whose body was {@code body}, misbehaving on demand. */
    private void gatewayReceipt(HttpServerResponse response, byte[] body) {
        String requestId = E2ee.hex(random(16));
        response.putHeader("x-request-id", requestId);
        if (mode == Mode.GATEWAY_RECEIPT_MISSING) {
            return;
        }
        byte[] hashed = mode == Mode.GATEWAY_RECEIPT_OTHER_BODY ? random(body.length) : body;
        String json = "{\"v\":2,\"key_id\":\"" + GatewayReceipt.keyId(receiptKey.publicKey()) + "\",\"request_id\":\""
                + requestId + "\",\"body_sha256\":\"" + GatewayReceipt.bodySha256(hashed)
                + "\",\"route\":\"fake-node\",\"mode\":\"e2ee\",\"veil_stored\":{\"content\":false}}";
        GatewayReceipt signed = GatewayReceipt.sign(json.getBytes(StandardCharsets.US_ASCII),
                mode == Mode.GATEWAY_RECEIPT_FORGED ? SigningKey.generate() : receiptKey);
        if (mode == Mode.GATEWAY_RECEIPT_BIT_FLIPPED) {
            // One bit of the receipt changed after signing: "fake-node" becomes "fake-nodd".
            json = json.replace("fake-node", "fake-nodd");
        }
        response.putHeader(GatewayReceipt.HEADER, json).putHeader(GatewayReceipt.SIGNATURE_HEADER, signed.signatureText());
    }

    private void inference(HttpServerRequest request, String path, byte[] body) {
        inferences.incrementAndGet();
        HttpServerResponse response = request.response();
        if (!E2ee.CONTENT_TYPE.equals(request.getHeader("content-type"))
                || !E2ee.VERSION.equals(request.getHeader(E2ee.HEADER_VERSION))) {
            error(response, new OpenAiError(400, "Not an e2ee v1 request.", OpenAiError.INVALID_REQUEST, null,
                    "e2ee_unsupported"));
            return;
        }
        if (mode == Mode.NO_COMPLIANT_ROUTE) {
            error(response, new OpenAiError(403, "No route complies with this key's policy.", OpenAiError.PERMISSION,
                    null, "no_compliant_route"));
            return;
        }
        if (mode == Mode.UNKNOWN_KEY_ALWAYS || (mode == Mode.UNKNOWN_KEY_ONCE && !rotatedOnce)) {
            rotatedOnce = true;
            keys = NodeKeyPair.generate((keys.keyConfig().keyId() + 1) % 256);
            replay = new ReplayGuard(1000);
            error(response, new OpenAiError(421, "No node holds this key any more; fetch the attestation again.",
                    OpenAiError.INVALID_REQUEST, null, "e2ee_unknown_key"));
            return;
        }
        NodeKeyPair current = keys;
        if (!current.keyConfig().nodeKeyId().equals(request.getHeader(E2ee.HEADER_NODE_KEY))) {
            error(response, new OpenAiError(421, "No node holds this key.", OpenAiError.INVALID_REQUEST, null,
                    "e2ee_unknown_key"));
            return;
        }
        String model = request.getHeader(E2ee.HEADER_MODEL);
        boolean stream = "true".equals(request.getHeader(E2ee.HEADER_STREAM));
        OpenedRequest opened;
        try {
            opened = OpenedRequest.open(current, replay, new RequestMeta(path, model, stream), body);
        } catch (E2eeException e) {
            error(response, new OpenAiError(e instanceof E2eeException.UnknownKey ? 421 : 400, e.getMessage(),
                    OpenAiError.INVALID_REQUEST, null, e.code()));
            return;
        }
        String plaintext = new String(opened.plaintext(), StandardCharsets.UTF_8);
        plaintexts.add(plaintext);
        if (mode == Mode.PLAINTEXT_ANSWER) {
            response.putHeader("content-type", "application/json").end("{\"choices\":[]}");
            return;
        }
        String echo;
        try {
            JsonNode root = JSON.readTree(plaintext);
            JsonNode messages = root.path("messages");
            echo = messages.isArray() && !messages.isEmpty() ? messages.get(0).path("content").asText() : "";
        } catch (Exception e) {
            echo = "";
        }
        ResponseSealer sealer = opened.responseSealer();
        List<byte[]> frames = new ArrayList<>();
        frames.add(sealer.start());
        if (mode == Mode.ENGINE_ERROR) {
            frames.add(sealer.head(400, "application/json"));
            frames.add(sealer.finish(new OpenAiError(400, "max_tokens is too large", OpenAiError.INVALID_REQUEST,
                    "max_tokens", "invalid_value").toJson()));
        } else if (stream) {
            frames.add(sealer.head(200, "text/event-stream"));
            for (String event : EVENTS) {
                frames.add(sealer.chunk(event.getBytes(StandardCharsets.UTF_8)));
            }
            frames.add(sealer.finish(new byte[0]));
        } else {
            frames.add(sealer.head(200, "application/json"));
            String answer = path.equals("/v1/embeddings")
                    ? "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,-0.5]}],"
                    + "\"model\":\"" + model + "\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}"
                    : "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                    + "\"message\":{\"role\":\"assistant\",\"content\":" + quote("echo: " + echo) + "},\"finish_reason\":\"stop\"}],"
                    + "\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}";
            frames.add(sealer.finish(answer.getBytes(StandardCharsets.UTF_8)));
        }
        Receipt receipt = new Receipt(1, current.keyConfig().nodeKeyId(), model, path,
                mode == Mode.RECEIPT_OTHER_REQUEST ? E2ee.hex(random(32)) : E2ee.hex(opened.requestHash()),
                E2ee.hex(sealer.responseHash()), 7, 3, Instant.now().getEpochSecond());
        SigningKey signer = mode == Mode.BAD_RECEIPT_SIGNATURE ? SigningKey.generate() : signing;
        frames.add(sealer.receiptFrame(SignedReceipt.sign(receipt, signer)));
        misbehave(frames);
        gatewayReceipt(response, body);
        response.setChunked(true).putHeader("content-type", E2ee.CONTENT_TYPE);
        write(request, frames, 0, Vertx.currentContext());
    }

    private void misbehave(List<byte[]> frames) {
        // frames: 0 nonce, 1 head, 2.. chunks, last-1 final, last receipt
        int last = frames.size() - 1;
        switch (mode) {
            case REORDER -> Collections.swap(frames, 2, 3);
            case DROP -> frames.remove(2);
            case TAMPER_FIRST_EVENT -> flip(frames.get(2));
            case TAMPER_FINAL -> flip(frames.get(last - 1));
            case TRUNCATE -> {
                frames.remove(last);
                frames.remove(last - 1);
            }
            case TRAILING -> frames.add(frames.get(2).clone());
            case NO_RECEIPT -> frames.remove(last);
            default -> {
            }
        }
    }

    private void write(HttpServerRequest request, List<byte[]> frames, int from, Context context) {
        HttpServerResponse response = request.response();
        for (int i = from; i < frames.size(); i++) {
            if (mode == Mode.BREAK_CONNECTION && i == 3) {
                context.owner().setTimer(50, t -> request.connection().close());
                return;
            }
            response.write(Buffer.buffer(frames.get(i)));
            CompletableFuture<Boolean> g = gate;
            if (g != null && i == 2 && frames.size() > 5) {
                int next = i + 1;
                gate = null;
                g.completeOnTimeout(false, 5, TimeUnit.SECONDS).thenAccept(opened -> context.runOnContext(v -> {
                    gateOpened = opened;
                    write(request, frames, next, context);
                }));
                return;
            }
        }
        response.end();
    }

    private static void flip(byte[] frame) {
        frame[frame.length - 1] ^= 0x01;
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    private static void error(HttpServerResponse response, OpenAiError error) {
        response.setStatusCode(error.httpStatus()).putHeader("content-type", "application/json").end(Buffer.buffer(error.toJson()));
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
