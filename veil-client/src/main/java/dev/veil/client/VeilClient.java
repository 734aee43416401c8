package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.ReportData;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.receipt.GatewayReceipt;
import dev.veil.protocol.receipt.InvalidReceipt;
import dev.veil.protocol.e2ee.ResponseOpener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The Veil e2ee client: verifies a node's attestation, encrypts each request to that node, and decrypts and checks
 * the answer (docs/e2ee.md). Works against a Veil gateway (which relays bytes it cannot read) or directly against a
 * node. Thread-safe; one instance per gateway and API key, reused for all requests.
 *
 * <pre>{@code
 * try (VeilClient veil = VeilClient.builder()
 *         .baseUrl("https://gateway.example")
 *         .apiKey(System.getenv("VEIL_API_KEY"))
 *         .policy(new AttestationPolicy(Set.of("sev-snp", "tdx"), Set.of(), false))
 *         .build()) {
 *     E2eeResponse answer = veil.send("/v1/chat/completions", "llama-3.1-8b", json);
 * }
 * }</pre>
 *
 * <p>Failures (all hard: no partial plaintext is ever returned as success):
 * <ul>
 *   <li>{@link AttestationException} subclasses: evidence refused by the policy or not verifying, e.g.
 *       {@link AttestationException.SimulatedNotAllowed}, {@link AttestationException.NonceMismatch},
 *       {@link AttestationException.KeyNotBound}, {@link AttestationException.UnknownMeasurement};
 *       {@link NoEvidenceException} when no node was offered; the transparency log's refusals
 *       {@link TransparencyException.NotInLog} (the node is not published), {@link TransparencyException.BadTreeHead}
 *       (the log's head does not verify) and {@link TransparencyException.SplitView} (the head is not consistent
 *       with the one this client kept);</li>
 *   <li>{@link E2eeException} subclasses: {@link E2eeException.FrameRejected}, {@link E2eeException.Truncated}
 *       (also when the connection breaks mid-answer), {@link E2eeException.TrailingData},
 *       {@link E2eeException.BadReceipt}, {@link E2eeException.Malformed} (also for a non-e2ee 200 answer), and the
 *       node's clear refusals {@link E2eeException.DecryptFailed}, {@link E2eeException.Replay},
 *       {@link E2eeException.Unsupported}, {@link E2eeException.UnknownKey} (after one re-attestation and retry),
 *       whose cause is the {@link GatewayException};</li>
 *   <li>{@link GatewayException}: every other clear error from the gateway or node (status, type, code, message);</li>
 *   <li>{@link IOException}: the transport failed before the answer began (an interrupt becomes
 *       {@link InterruptedIOException} with the thread's interrupt flag set again).</li>
 * </ul>
 */
public final class VeilClient implements AutoCloseable {

    /** The default time an attested node is reused before it is attested again. */
    public static final Duration DEFAULT_ATTESTATION_TTL = Duration.ofMinutes(5);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ERROR_BODY = 1024 * 1024;
    private static final int MAX_ATTESTATION_BODY = 4 * 1024 * 1024;
    /** The longest an attestation answer (with its log proofs) or a log answer may take, head and body. */
    private static final Duration MAX_ATTESTATION_TIME = Duration.ofSeconds(60);
    private static final int MAX_RECEIPT_KEY_BODY = 64 * 1024;

    private final String baseUrl;
    private final String apiKey;
    private final AttestationPolicy policy;
    private final Duration ttl;
    private final Duration requestTimeout;
    private final HttpClient http;
    private final boolean ownsHttp;
    private final AttestationVerifier verifier;
    private final SecureRandom random = new SecureRandom();
    private final TransparencyCheck transparency;
    private final TreeHeadKeeper heads;
    private final dev.veil.client.transparency.LogClient log;
    private final Map<String, VerifiedNode> cache = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final byte[] transparencyLogKey;
    private final byte[] pinnedReceiptKey;
    private final boolean requireGatewayReceipts;
    /** The gateway's receipt key once fetched and checked against the log (or the pinned one). */
    private volatile byte[] receiptKey;
    /** Set once an attestation answer came in the gateway's shape: its answers must then carry signed receipts. */
    private volatile boolean viaGateway;

    private VeilClient(Builder b) {
        this.baseUrl = normalizeBase(b.baseUrl);
        this.apiKey = b.apiKey;
        this.policy = b.policy;
        this.transparency = new TransparencyCheck(b.transparencyLogKey);
        this.transparencyLogKey = b.transparencyLogKey;
        this.pinnedReceiptKey = b.gatewayReceiptKey;
        this.receiptKey = b.gatewayReceiptKey;
        this.requireGatewayReceipts = b.requireGatewayReceipts;
        this.ttl = b.attestationTtl;
        this.requestTimeout = b.requestTimeout;
        this.ownsHttp = b.httpClient == null;
        this.http = b.httpClient != null ? b.httpClient : HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.verifier = b.verifier != null ? b.verifier
                : dev.veil.protocol.attestation.HardwareVerifiers.verifier(null, null);
        this.heads = b.heads;
        this.log = new dev.veil.client.transparency.LogClient(baseUrl, apiKey, http, attestationTime());
    }

    private Duration attestationTime() {
        return requestTimeout.compareTo(MAX_ATTESTATION_TIME) < 0 ? requestTimeout : MAX_ATTESTATION_TIME;
    }

    /** A new builder. {@link Builder#baseUrl} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The origin requests go to, e.g. {@code http://127.0.0.1:8080} (no trailing slash, no {@code /v1}). */
    public String baseUrl() {
        return baseUrl;
    }

    /** The attestation policy evidence is verified against. */
    public AttestationPolicy policy() {
        return policy;
    }

    /**
     * A verified node for {@code model}: the cached one while younger than the attestation TTL, otherwise a fresh
     * attestation. A fresh one fetches {@code GET /v1/attestation?model=<id>&nonce=<64 hex>} with a new random 32-byte
     * nonce, accepts the gateway's {@code {"model":..., "nodes":[evidence, ...]}} or a node's single evidence object,
     * verifies each evidence against the policy and that nonce, and returns the first that verifies.
     *
     * @throws AttestationException the first node's reason when none verifies (e.g.
     *                              {@link AttestationException.SimulatedNotAllowed}), or {@link NoEvidenceException}
     * @throws GatewayException     the gateway refused the attestation request (e.g. 401, 404 {@code model_not_found})
     * @throws IOException          transport failure
     */
    public VerifiedNode attest(String model) throws AttestationException, GatewayException, IOException {
        requireModel(model);
        VerifiedNode fresh = cachedNode(model).orElse(null);
        if (fresh != null) {
            return fresh;
        }
        ReentrantLock lock = locks.computeIfAbsent(model, m -> new ReentrantLock());
        lock.lock();
        try {
            fresh = cachedNode(model).orElse(null);
            if (fresh != null) {
                return fresh;
            }
            VerifiedNode node = fetchAndVerify(model);
            cache.put(model, node);
            return node;
        } finally {
            lock.unlock();
        }
    }

    /** The cached verified node for {@code model}, if it is younger than the attestation TTL. Never blocks. */
    public Optional<VerifiedNode> cachedNode(String model) {
        VerifiedNode node = model == null ? null : cache.get(model);
        if (node == null || !node.attestedAt().plus(ttl).isAfter(Instant.now())) {
            return Optional.empty();
        }
        return Optional.of(node);
    }

    /** Drops the cached node of {@code model}, so the next request attests again. Never blocks. */
    public void forget(String model) {
        cache.remove(model);
    }

    /** Drops the cached node of {@code model} only if it is still the one with {@code nodeKeyId}. Never blocks. */
    public void forget(String model, String nodeKeyId) {
        cache.computeIfPresent(model, (m, node) -> node.nodeKeyId().equals(nodeKeyId) ? null : node);
    }

    /**
     * Sends one request end-to-end encrypted and returns the whole decrypted answer, only after its final frame
     * arrived and the node's receipt verified (signed by the attested key; naming the hashes of the request sent and
     * the response received). The stream flag bound into the encryption is the body's {@code "stream"} field; a
     * streamed answer is returned as the concatenation of its events. On {@code e2ee_unknown_key} (HTTP 421) the model
     * is attested again and the request retried once.
     *
     * @param path     the endpoint path: {@code /v1/chat/completions}, {@code /v1/completions} or
     *                 {@code /v1/embeddings} (the {@code /v1} prefix may be omitted)
     * @param model    the public model id; must equal the body's {@code "model"} when it has one
     * @param jsonBody the whole OpenAI JSON request (a JSON object)
     * @throws AttestationException see {@link #attest}
     * @throws E2eeException        the encrypted exchange failed or the node refused it (see the class comment)
     * @throws GatewayException     a clear error from the gateway or node
     * @throws IOException          transport failure before the answer began
     */
    public E2eeResponse send(String path, String model, byte[] jsonBody)
            throws AttestationException, E2eeException, GatewayException, IOException {
        Collector collector = new Collector();
        E2eeCall call = exchange(path, model, jsonBody, collector);
        return new E2eeResponse(collector.status, collector.contentType, collector.body.toByteArray(), call.receipt(),
                call.node(), collector.gatewayReceipt);
    }

    /**
     * Sends one request end-to-end encrypted and delivers the answer to {@code listener} on the calling thread as it
     * arrives: the head, each decrypted chunk (one SSE event each for a stream), then the verified receipt. Returns
     * after {@link StreamListener#onReceipt}. Any failure is thrown and no further chunk is delivered; chunks already
     * delivered then belong to an incomplete answer. The stream flag bound into the encryption is the body's
     * {@code "stream"} field. On {@code e2ee_unknown_key} (HTTP 421) the model is attested again and the request
     * retried once (nothing was delivered yet).
     *
     * @throws AttestationException see {@link #attest}
     * @throws E2eeException        the encrypted exchange failed or the node refused it (see the class comment)
     * @throws GatewayException     a clear error from the gateway or node
     * @throws IOException          transport failure before the answer began
     * @see #send
     */
    public void stream(String path, String model, byte[] jsonBody, StreamListener listener)
            throws AttestationException, E2eeException, GatewayException, IOException {
        Objects.requireNonNull(listener, "listener");
        exchange(path, model, jsonBody, listener);
    }

    /** Closes the HTTP client this client built (not one given to the builder). */
    @Override
    public void close() {
        if (ownsHttp) {
            http.shutdownNow();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    private E2eeCall exchange(String path, String model, byte[] jsonBody, StreamListener listener)
            throws AttestationException, E2eeException, GatewayException, IOException {
        requireModel(model);
        String endpoint = normalizePath(path);
        boolean stream = streamFlag(jsonBody, model);
        for (int attempt = 0; ; attempt++) {
            VerifiedNode node = attest(model);
            E2eeCall call = E2eeCall.seal(node, endpoint, stream, jsonBody);
            HttpRequest.Builder request = request(URI.create(baseUrl + endpoint))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(call.body()));
            call.headers().forEach(request::header);
            HttpResponse<InputStream> response = call(request.build());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    GatewayException error = GatewayException.fromResponse(response.statusCode(),
                            readBounded(in, MAX_ERROR_BODY));
                    if (error.unknownKey() && attempt == 0) {
                        forget(model, node.nodeKeyId());
                        continue;
                    }
                    Optional<E2eeException> protocol = error.asE2eeFailure();
                    if (protocol.isPresent()) {
                        throw protocol.get();
                    }
                    throw error;
                }
                String contentType = response.headers().firstValue("content-type").orElse("");
                if (!contentType.toLowerCase(Locale.ROOT).startsWith(E2ee.CONTENT_TYPE)) {
                    throw new E2eeException.Malformed("the answer is not encrypted (content type '" + contentType
                            + "', expected " + E2ee.CONTENT_TYPE + "); refusing it");
                }
                // Before any of the answer reaches the caller: the gateway's signed receipt for exactly this body.
                VerifiedGatewayReceipt gatewayReceipt = checkGatewayReceipt(response, call.body());
                if (gatewayReceipt != null) {
                    listener.onGatewayReceipt(gatewayReceipt);
                }
                pump(in, call, listener);
                return call;
            }
        }
    }

    private static void pump(InputStream in, E2eeCall call, StreamListener listener) throws E2eeException {
        byte[] buffer = new byte[16 * 1024];
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                E2eeException truncated = new E2eeException.Truncated();
                truncated.initCause(e);
                call.fail(truncated);
                throw truncated;
            }
            if (n < 0) {
                break;
            }
            if (n == 0) {
                continue;
            }
            for (ResponseOpener.Part part : call.accept(Arrays.copyOf(buffer, n))) {
                switch (part) {
                    case ResponseOpener.Head head -> listener.onHead(head.status(), head.contentType());
                    case ResponseOpener.Chunk chunk -> {
                        if (chunk.data().length > 0) {
                            listener.onChunk(chunk.data());
                        }
                    }
                    case ResponseOpener.Receipt ignored -> {
                        // verified by the call; delivered once the body ended cleanly
                    }
                }
            }
        }
        call.end();
        listener.onReceipt(call.receipt());
    }

    /**
     * The gateway's receipt key: the pinned one, or the one {@code GET /v1/transparency/receipt-key} publishes, taken
     * only once its {@code receipt_key} log entry and inclusion proof verified under a tree head signed by the log key
     * (the pinned {@link Builder#transparencyLogKey} when set). Fetched once and kept; blocking.
     *
     * @throws E2eeException.BadReceipt the published key is not in the log, or its proof or tree head fails
     * @throws TransparencyException.SplitView the tree head the key's proof leads to is not consistent with the head
     *                                         this client kept (the gateway shows it a fork of its log)
     */
    public byte[] gatewayReceiptKey() throws E2eeException, GatewayException, IOException, TransparencyException {
        byte[] key = receiptKey;
        if (key != null) {
            return key.clone();
        }
        HttpResponse<InputStream> response = call(request(URI.create(baseUrl + "/v1/transparency/receipt-key")).GET()
                .build());
        byte[] body;
        try (InputStream in = response.body()) {
            body = readBounded(in, response.statusCode() == 200 ? MAX_RECEIPT_KEY_BODY : MAX_ERROR_BODY);
        }
        if (response.statusCode() != 200) {
            throw GatewayException.fromResponse(response.statusCode(), body);
        }
        ReceiptKeyCheck.Checked checked = ReceiptKeyCheck.check(body, transparencyLogKey);
        // The same kept heads as the nodes' answers: a gateway that logs its receipt key in a fork is a split view.
        heads.accept(checked.head(), log::consistencyProof);
        key = checked.key();
        receiptKey = key;
        return key.clone();
    }

    /**
     * Whether this client's answers must carry a signed gateway receipt: required by the builder, or the client talks
     * to a gateway (its attestation answer came in the gateway's shape). A node reached directly signs none.
     */
    public boolean expectsGatewayReceipts() {
        return requireGatewayReceipts || viaGateway;
    }

    /**
     * Verifies a gateway receipt with the receipt key this client already holds (pinned, or fetched by
     * {@link #gatewayReceiptKey}); never blocks, so an event loop may call it. See docs/privacy.md, "Signed receipts".
     *
     * @param receipt   the {@code x-veil-receipt} header, or {@code null} when absent
     * @param signature the {@code x-veil-receipt-signature} header, or {@code null} when absent
     * @param sentBody  the exact request body this client sent (for e2ee, the sealed bytes)
     * @param requestId the answer's {@code x-request-id}, or {@code null} to skip that check
     * @return the verified receipt, or {@code null} when there is none and {@link #expectsGatewayReceipts} is false
     * @throws E2eeException.BadReceipt missing where expected, unsigned, not signed by the receipt key, or naming
     *                                  another body or request id; a receipt naming a key other than the one held
     *                                  also drops the fetched key, so that the next {@link #gatewayReceiptKey} fetches
     *                                  it again (a rotation)
     */
    public VerifiedGatewayReceipt verifyGatewayReceipt(String receipt, String signature, byte[] sentBody,
                                                       String requestId) throws E2eeException.BadReceipt {
        if (receipt == null && signature == null && !expectsGatewayReceipts()) {
            return null;
        }
        byte[] key = receiptKey;
        try {
            GatewayReceipt parsed = GatewayReceipt.fromHeaders(receipt, signature);
            if (key == null) {
                throw new InvalidReceipt("this client holds no receipt key yet (fetch it with gatewayReceiptKey)");
            }
            GatewayReceipt.Claims claims = parsed.verify(key, sentBody, requestId);
            return new VerifiedGatewayReceipt(parsed, claims);
        } catch (InvalidReceipt e) {
            if (pinnedReceiptKey == null && key != null && receipt != null && !receipt.contains(
                    "\"key_id\":\"" + GatewayReceipt.keyId(key) + "\"")) {
                receiptKey = null;
            }
            throw new E2eeException.BadReceipt("gateway receipt: " + e.getMessage());
        }
    }

    /** The answer's gateway receipt, verified (fetching the receipt key first if need be, again after a rotation). */
    private VerifiedGatewayReceipt checkGatewayReceipt(HttpResponse<?> response, byte[] sentBody)
            throws E2eeException, GatewayException, IOException, TransparencyException {
        String receipt = response.headers().firstValue(GatewayReceipt.HEADER).orElse(null);
        String signature = response.headers().firstValue(GatewayReceipt.SIGNATURE_HEADER).orElse(null);
        String requestId = response.headers().firstValue("x-request-id").orElse(null);
        if (receipt == null && signature == null && !expectsGatewayReceipts()) {
            return null;
        }
        gatewayReceiptKey();
        try {
            return verifyGatewayReceipt(receipt, signature, sentBody, requestId);
        } catch (E2eeException.BadReceipt e) {
            if (receiptKey != null) {
                throw e;
            }
            // The receipt named another key: the gateway's key may have rotated; fetch the published one once more.
            gatewayReceiptKey();
            return verifyGatewayReceipt(receipt, signature, sentBody, requestId);
        }
    }

    private VerifiedNode fetchAndVerify(String model) throws AttestationException, GatewayException, IOException {
        byte[] nonce = new byte[ReportData.NONCE_LENGTH];
        random.nextBytes(nonce);
        URI uri = URI.create(baseUrl + "/v1/attestation?model=" + URLEncoder.encode(model, StandardCharsets.UTF_8)
                + "&nonce=" + E2ee.hex(nonce));
        // Head and body within a cap and a time limit: the answer carries the log's head and proofs, read whole.
        dev.veil.client.transparency.BoundedHttp.Answer response = dev.veil.client.transparency.BoundedHttp.send(http,
                request(uri).GET().build(), MAX_ATTESTATION_BODY, attestationTime());
        byte[] body = response.body();
        if (response.status() != 200) {
            throw GatewayException.fromResponse(response.status(), body);
        }
        List<JsonNode> nodes = evidenceList(body, model);
        if (body.length > 0 && JSON.readTree(body).has("nodes")) {
            viaGateway = true;
        }
        if (nodes.isEmpty()) {
            throw new NoEvidenceException(model);
        }
        JsonNode root = JSON.readTree(body);
        // The log's head first: a forged or forked head refuses every node of the answer.
        dev.veil.client.transparency.LogHead head = transparency.head(root);
        if (head != null) {
            heads.accept(head, log::consistencyProof);
        }
        AttestationException first = null;
        for (int i = 0; i < nodes.size(); i++) {
            try {
                Evidence evidence = Evidence.parse(JSON.writeValueAsBytes(nodes.get(i)));
                AttestationVerifier.VerifiedNode verified = verifier.verify(evidence, nonce, policy);
                transparency.node(root, i, verified, head);
                return VerifiedNode.of(model, verified, Instant.now());
            } catch (AttestationException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        throw first;
    }

    private static List<JsonNode> evidenceList(byte[] body, String model) throws AttestationException {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new AttestationException.InvalidEvidence("the attestation answer is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new AttestationException.InvalidEvidence("the attestation answer is not a JSON object");
        }
        JsonNode nodes = root.get("nodes");
        if (nodes != null) {
            if (!nodes.isArray()) {
                throw new AttestationException.InvalidEvidence("the attestation answer's 'nodes' is not an array");
            }
            JsonNode answered = root.get("model");
            if (answered != null && answered.isTextual() && !answered.asText().equals(model)) {
                throw new AttestationException.InvalidEvidence("the attestation answer is for another model");
            }
            List<JsonNode> list = new ArrayList<>();
            nodes.forEach(list::add);
            return list;
        }
        if (root.has("format")) {
            return List.of(root);
        }
        throw new AttestationException.InvalidEvidence(
                "the attestation answer is neither a node's evidence nor a gateway's {\"nodes\": [...]}");
    }

    private HttpRequest.Builder request(URI uri) {
        // This client verifies every gateway receipt, so it asks for them signed (the gateway signs only on request).
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri).timeout(requestTimeout)
                .header(dev.veil.protocol.receipt.GatewayReceipt.SIGN_REQUEST_HEADER, "true");
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        return builder;
    }

    private HttpResponse<InputStream> call(HttpRequest request) throws IOException {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            InterruptedIOException interrupted = new InterruptedIOException("interrupted while calling " + baseUrl);
            interrupted.initCause(e);
            throw interrupted;
        }
    }

    private static byte[] readBounded(InputStream in, int limit) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) >= 0) {
            if (out.size() + n > limit) {
                throw new IOException("the answer is larger than " + limit + " bytes");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** Whether the body asks for a stream; checks it is a JSON object whose model (if any) is {@code model}. */
    static boolean streamFlag(byte[] json, String model) {
        Objects.requireNonNull(json, "jsonBody");
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("the request body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("the request body is not a JSON object");
        }
        JsonNode bodyModel = root.get("model");
        if (bodyModel != null && !bodyModel.isNull() && !bodyModel.asText().equals(model)) {
            throw new IllegalArgumentException("the body's \"model\" differs from the model argument");
        }
        JsonNode stream = root.get("stream");
        if (stream == null || stream.isNull()) {
            return false;
        }
        if (!stream.isBoolean()) {
            throw new IllegalArgumentException("the body's \"stream\" is not a boolean");
        }
        return stream.booleanValue();
    }

    private static String normalizePath(String path) {
        Objects.requireNonNull(path, "path");
        String p = path.startsWith("/") ? path : "/" + path;
        if (!p.startsWith("/v1/")) {
            p = "/v1" + p;
        }
        dev.veil.protocol.api.Endpoint endpoint = dev.veil.protocol.api.Endpoint.byPath(p);
        if (endpoint == null || !endpoint.e2ee()) {
            throw new IllegalArgumentException("e2ee serves " + dev.veil.protocol.api.Endpoint.paths(
                    dev.veil.protocol.api.Endpoint::e2ee));
        }
        return p;
    }

    private static void requireModel(String model) {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("a model id is required");
        }
    }

    static String normalizeBase(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("baseUrl is required, e.g. http://127.0.0.1:8080");
        }
        String base = url.trim();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        if (base.endsWith("/v1")) {
            base = base.substring(0, base.length() - 3);
        }
        URI uri = URI.create(base);
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                || uri.getHost() == null) {
            throw new IllegalArgumentException("baseUrl must be an http(s) URL such as http://127.0.0.1:8080");
        }
        return base;
    }

    /** Collects a whole answer for {@link #send}. */
    private static final class Collector implements StreamListener {
        int status;
        String contentType;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        VerifiedGatewayReceipt gatewayReceipt;

        @Override
        public void onGatewayReceipt(VerifiedGatewayReceipt receipt) {
            this.gatewayReceipt = receipt;
        }

        @Override
        public void onHead(int status, String contentType) {
            this.status = status;
            this.contentType = contentType;
        }

        @Override
        public void onChunk(byte[] data) {
            body.writeBytes(data);
        }

        @Override
        public void onReceipt(Receipt receipt) {
            // E2eeCall holds it
        }
    }

    /** Builds a {@link VeilClient}. */
    public static final class Builder {
        private String baseUrl;
        private String apiKey;
        private AttestationPolicy policy = AttestationPolicy.HARDWARE_ONLY;
        private Duration attestationTtl = DEFAULT_ATTESTATION_TTL;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofMinutes(5);
        private HttpClient httpClient;
        private AttestationVerifier verifier;
        private byte[] transparencyLogKey;
        private java.nio.file.Path treeHeadFile;
        private TreeHeadKeeper heads;
        private byte[] gatewayReceiptKey;
        private boolean requireGatewayReceipts;

        private Builder() {
        }

        /**
         * Keeps the last tree head accepted from each transparency log in this file too (it is always kept in memory),
         * so that a split view is caught across restarts: a later head must be consistent with it
         * (docs/transparency.md). The file is read when the client is built; one that cannot be read or holds a head
         * that does not verify fails {@link #build()}. Use one file per process.
         */
        public Builder treeHeadFile(java.nio.file.Path file) {
            this.treeHeadFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Pins the gateway's receipt key (raw 32-byte Ed25519, the {@code public_key} of
         * {@code GET /v1/transparency/receipt-key}), taken once from a source you trust. Without it, the client fetches
         * the published key and takes it only once its log entry and inclusion proof verified.
         */
        public Builder gatewayReceiptKey(byte[] receiptKey) {
            if (receiptKey == null || receiptKey.length != 32) {
                throw new IllegalArgumentException("a gateway receipt key is a raw 32-byte Ed25519 public key");
            }
            this.gatewayReceiptKey = receiptKey.clone();
            return this;
        }

        /**
         * Requires a signed gateway receipt on every answer, even before the client saw the gateway's attestation
         * answer. Default: required once the attestation answer came from a gateway (a node reached directly signs
         * none).
         */
        public Builder requireGatewayReceipts(boolean require) {
            this.requireGatewayReceipts = require;
            return this;
        }

        /**
         * Requires every node to be published in the gateway's transparency log, under tree heads signed by this log
         * key (raw 32-byte Ed25519, as {@code GET /v1/transparency/head} gives it in base64). Without it, a
         * transparency log the gateway sends is still checked, but a gateway that sends none is accepted.
         */
        public Builder transparencyLogKey(byte[] logKey) {
            if (logKey == null || logKey.length != 32) {
                throw new IllegalArgumentException("a transparency log key is a raw 32-byte Ed25519 public key");
            }
            this.transparencyLogKey = logKey.clone();
            return this;
        }

        /** The gateway's origin (or a node's, for direct use), e.g. {@code http://127.0.0.1:8080}. Required. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl;
            return this;
        }

        /** The Veil API key, sent as {@code Authorization: Bearer <key>}. Optional (a node alone needs none). */
        public Builder apiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /** What evidence to accept. Default {@link AttestationPolicy#HARDWARE_ONLY} (simulated refused). */
        public Builder policy(AttestationPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** How long a verified node is reused before attesting again. Default 5 minutes. */
        public Builder attestationTtl(Duration ttl) {
            if (ttl == null || ttl.isNegative()) {
                throw new IllegalArgumentException("the attestation TTL must be zero or positive");
            }
            this.attestationTtl = ttl;
            return this;
        }

        /** TCP connect timeout. Default 10 seconds. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** How long to wait for an answer's headers (not for the whole stream). Default 5 minutes. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /** A preconfigured HTTP client (e.g. custom TLS); the client will not close it. Default: a new HTTP/1.1 one. */
        public Builder httpClient(HttpClient client) {
            this.httpClient = client;
            return this;
        }

        /**
         * The evidence verifier. Default: SEV-SNP (certificates from the evidence, pinned AMD roots, debug refused)
         * and the {@code simulated} format; TDX needs Intel collateral, so pass
         * {@code new AttestationVerifier(HardwareVerifiers.defaults(TdxCollateral.load(dir)))} to accept TDX nodes.
         */
        public Builder verifier(AttestationVerifier verifier) {
            this.verifier = verifier;
            return this;
        }

        /**
         * The client.
         *
         * @throws IllegalStateException the {@link #treeHeadFile} cannot be read or holds a head that does not verify
         */
        public VeilClient build() {
            try {
                heads = new TreeHeadKeeper(treeHeadFile == null ? null
                        : new dev.veil.client.transparency.HeadFile(treeHeadFile));
            } catch (IOException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
            return new VeilClient(this);
        }
    }
}
