package dev.veil.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.protocol.policy.SealedRequestScreen;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The client side of one e2ee request, independent of the HTTP transport: the sealed body and clear headers to send,
 * and an incremental opener for the answer that also checks the node's receipt. {@link VeilClient} uses it over
 * {@code java.net.http}; the local proxy uses it over Vert.x. Not thread-safe: one request, fed in order.
 *
 * <p>Usage: {@link #seal}, send {@link #body()} with {@link #headers()} (plus {@code Authorization}) to
 * {@link #path()}; on HTTP 200 with {@code Content-Type: application/veil-e2ee}, feed each arriving piece of the body
 * to {@link #accept}, then call {@link #end()} when the body ended. Any {@link E2eeException} is final: the call stays
 * failed and no more plaintext comes out of it.
 */
public final class E2eeCall {

    /** The Messages API version sent with sealed Messages requests (see {@link #headers()}). */
    public static final String ANTHROPIC_VERSION = "2023-06-01";


    private static final ObjectMapper JSON = new ObjectMapper();

    private final VerifiedNode node;
    private final RequestMeta meta;
    private final SealedRequest sealed;
    private final ResponseOpener opener;
    private Receipt receipt;
    private boolean ended;
    private E2eeException failure;

    private E2eeCall(VerifiedNode node, RequestMeta meta, SealedRequest sealed) {
        this.node = node;
        this.meta = meta;
        this.sealed = sealed;
        this.opener = sealed.responseOpener();
    }

    /**
     * Checks {@code json} against the node as the node itself will, then encrypts it to the node's key. The check is
     * {@link SealedRequestScreen}'s, against what the client verified: the node's signed declaration and its evidence
     * format. So a request whose own policy ({@code privacy}, {@code provider}, {@code data_policy} ...) excludes the
     * node, or that carries a field the endpoint does not document, is refused here with the answer the node would
     * give, and nothing is sent. A node that declared nothing is left to check the request itself.
     *
     * @param node   the attested node; its {@link VerifiedNode#model()} is the request's model
     * @param path   the endpoint path with its {@code /v1} prefix, e.g. {@code /v1/chat/completions}
     * @param stream whether the JSON body asks for a stream ({@code "stream": true}); bound into the encryption
     * @param json   the whole OpenAI JSON request
     * @throws GatewayException the node's answer, found locally: 403 {@code no_compliant_route} (its
     *                          {@link GatewayException#body()} names the constraint) or 400 naming a field
     */
    public static E2eeCall seal(VerifiedNode node, String path, boolean stream, byte[] json) throws GatewayException {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(json, "json");
        precheck(node, path, json);
        RequestMeta meta = new RequestMeta(path, node.model(), stream);
        return new E2eeCall(node, meta, SealedRequest.seal(node.keyConfig(), meta, json));
    }

    private static void precheck(VerifiedNode node, String path, byte[] json) throws GatewayException {
        if (node.declaration() == null) {
            return;
        }
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (IOException e) {
            return; // not JSON: the node answers that, sealed
        }
        if (tree instanceof ObjectNode request) {
            SealedRequestScreen.Refusal refusal = SealedRequestScreen.screen(request, path, node.model(),
                    node.declaration().target(node.format()));
            if (refusal != null) {
                throw GatewayException.fromResponse(refusal.status(), refusal.body());
            }
        }
    }

    /** The node the request is encrypted to. */
    public VerifiedNode node() {
        return node;
    }

    /** The clear routing metadata bound into the encryption. */
    public RequestMeta meta() {
        return meta;
    }

    /** The endpoint path, e.g. {@code /v1/chat/completions}. */
    public String path() {
        return meta.path();
    }

    /** The encrypted request body: {@code hdr || enc || ct}. */
    public byte[] body() {
        return sealed.body();
    }

    /**
     * The clear headers of docs/e2ee.md §4 except {@code Authorization}: {@code Content-Type}, {@code Veil-E2EE},
     * {@code Veil-Model}, {@code Veil-Node-Key}, {@code Veil-Stream}; for the Messages API also
     * {@code anthropic-version: 2023-06-01}, which the gateway's {@code /v1/messages} requires of every request (a
     * public constant: it says nothing about the caller, and the node calls its engine with the same version).
     */
    public Map<String, String> headers() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", E2ee.CONTENT_TYPE);
        headers.put(E2ee.HEADER_VERSION, E2ee.VERSION);
        headers.put(E2ee.HEADER_MODEL, meta.model());
        headers.put(E2ee.HEADER_NODE_KEY, node.nodeKeyId());
        headers.put(E2ee.HEADER_STREAM, Boolean.toString(meta.stream()));
        if (dev.veil.protocol.api.Endpoint.MESSAGES.path().equals(meta.path())) {
            headers.put("anthropic-version", ANTHROPIC_VERSION);
        }
        return headers;
    }

    /**
     * Takes the next bytes of the encrypted answer and returns what they complete, in order: the
     * {@link ResponseOpener.Head}, {@link ResponseOpener.Chunk}s, and a {@link ResponseOpener.Receipt} part only once
     * that receipt verified (then {@link #receipt()} has it).
     *
     * @throws E2eeException.FrameRejected a frame failed authentication (tampered, reordered, dropped, replayed)
     * @throws E2eeException.TrailingData   bytes followed the final frame and its receipt
     * @throws E2eeException.BadReceipt     the receipt does not verify or names another request, response, node,
     *                                      model or path
     * @throws E2eeException.Malformed      the bytes are not shaped as the protocol says
     */
    public List<ResponseOpener.Part> accept(byte[] data) throws E2eeException {
        if (failure != null) {
            throw failure;
        }
        if (ended) {
            throw new IllegalStateException("the answer already ended");
        }
        try {
            List<ResponseOpener.Part> parts = opener.accept(data);
            for (ResponseOpener.Part part : parts) {
                if (part instanceof ResponseOpener.Receipt r) {
                    receipt = verify(r);
                }
            }
            return parts;
        } catch (E2eeException e) {
            failure = e;
            throw e;
        }
    }

    /**
     * The body ended: succeeds only when the final frame and a verified receipt arrived and nothing else.
     *
     * @throws E2eeException.Truncated  the body stopped before its final frame (or mid-frame)
     * @throws E2eeException.BadReceipt the final frame came but no receipt
     */
    public void end() throws E2eeException {
        if (failure != null) {
            throw failure;
        }
        try {
            opener.end();
            if (receipt == null) {
                throw new E2eeException.BadReceipt("the encrypted answer carries no receipt; a node always signs one");
            }
            ended = true;
        } catch (E2eeException e) {
            failure = e;
            throw e;
        }
    }

    /** Marks the call failed (e.g. the connection broke mid-body), so nothing more is accepted. */
    public void fail(E2eeException e) {
        if (failure == null) {
            failure = e;
        }
    }

    /** The verified receipt, or {@code null} until it arrived. Complete only after {@link #end()} succeeded. */
    public Receipt receipt() {
        return receipt;
    }

    /** Whether {@link #end()} succeeded. */
    public boolean completed() {
        return ended;
    }

    private Receipt verify(ResponseOpener.Receipt part) throws E2eeException {
        Receipt r = opener.verifyReceipt(part.signed(), node.signingKey());
        if (!r.nodeKeyId().equals(node.nodeKeyId())) {
            throw new E2eeException.BadReceipt("the receipt names another node key than the one the request was "
                    + "encrypted to");
        }
        if (!r.model().equals(meta.model())) {
            throw new E2eeException.BadReceipt("the receipt names another model than the one requested");
        }
        if (!r.path().equals(meta.path())) {
            throw new E2eeException.BadReceipt("the receipt names another endpoint path than the one requested");
        }
        return r;
    }

    @Override
    public String toString() {
        return "E2eeCall[" + meta.path() + ", model=" + meta.model() + ", node=" + node.nodeKeyId() + "]";
    }
}
