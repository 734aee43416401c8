package dev.veil.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.http.BoundedBody;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.GpuBinding;
import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.OpenedRequest;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's request handler: attestation, health, and the e2ee inference endpoints (every endpoint whose description
 * says {@code e2ee}; the request's path is bound into its encryption, so a request sealed for one endpoint does not
 * open on another). Written on vertx-core
 * directly, like the gateway. For inference it checks the clear headers, finds the key, reads the body up to the
 * limit, opens it (refusing replays), and hands it to the {@link EngineRelay}. Errors before the response starts are
 * clear and OpenAI-shaped, with docs/e2ee.md §6's codes, and carry no content. Any unexpected failure becomes a 500
 * without detail, logged by exception class only.
 */
final class NodeServer implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(NodeServer.class);
    private static final Pattern NONCE = Pattern.compile("[0-9a-fA-F]{64}");

    private final Vertx vertx;
    private final GatewayCredentials gateways;
    private final KeyRing keys;
    private final Runnable rotated;
    private final SigningKey signingKey;
    private final EvidenceSource evidence;
    private final GpuEvidenceSource gpus;
    private final Map<String, String> models;
    private final EngineRelay relay;
    private final ObjectMapper json;
    private final long maxBodyBytes;
    private final NodeDeclaration.Signed declaration;

    /**
     * @param rotated     called after this server rotated the current key because its replay set filled, so the node
     *                    can schedule the old key's removal
     * @param declaration the node's declaration signed by {@code signingKey}, served with every attestation answer
     */
    NodeServer(Vertx vertx, KeyRing keys, Runnable rotated, SigningKey signingKey, EvidenceSource evidence,
               GpuEvidenceSource gpus, Map<String, String> models, EngineRelay relay, ObjectMapper json, long maxBodyBytes,
               NodeDeclaration.Signed declaration, GatewayCredentials gateways) {
        this.vertx = vertx;
        this.gateways = gateways;
        this.keys = keys;
        this.rotated = rotated;
        this.signingKey = signingKey;
        this.evidence = evidence;
        this.gpus = gpus;
        this.models = Map.copyOf(models);
        this.relay = relay;
        this.json = json;
        this.maxBodyBytes = maxBodyBytes;
        this.declaration = declaration;
    }

    @Override
    public void handle(HttpServerRequest request) {
        NodeExchange exchange = new NodeExchange(request);
        request.response().putHeader("x-request-id", exchange.requestId());
        try {
            GatewayCredentials.Signed signed = null;
            if (gateways.required() && !"/health".equals(exchange.path())) {
                signed = gateways.check(request.getHeader(GatewaySignature.HEADER), request.method().name(),
                        request.uri(), refusal -> refuse(exchange, refusal));
                if (signed == null) {
                    return;
                }
                if (!bodied(exchange)) {
                    // Nothing else is read for these requests: the signature covers an empty body.
                    OpenAiError refusal = signed.verify(null);
                    if (refusal != null) {
                        refuse(exchange, refusal);
                        return;
                    }
                    signed = null;
                }
            }
            exchange.signed(signed);
            dispatch(exchange);
        } catch (RuntimeException e) {
            fail(exchange, e);
        }
    }

    /** Whether the request is one whose body the node reads (an inference POST); the rest are verified at once. */
    private static boolean bodied(NodeExchange exchange) {
        dev.veil.protocol.api.Endpoint endpoint = dev.veil.protocol.api.Endpoint.byPath(exchange.path());
        return endpoint != null && endpoint.e2ee() && exchange.request().method() == HttpMethod.POST;
    }

    /**
     * No work for a caller without a gateway's signature: no evidence, no decryption, no engine call; the connection
     * is closed after the answer, so an unread body is never read.
     */
    private static void refuse(NodeExchange exchange, OpenAiError refusal) {
        if (exchange.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            exchange.response().putHeader("connection", "close");
        }
        if (refusal.httpStatus() == 503) {
            exchange.response().putHeader("retry-after", "1");
        }
        Replies.error(exchange, refusal);
    }

    private void dispatch(NodeExchange exchange) {
        HttpMethod method = exchange.request().method();
        dev.veil.protocol.api.Endpoint endpoint = dev.veil.protocol.api.Endpoint.byPath(exchange.path());
        if (endpoint != null && endpoint.e2ee()) {
            if (method == HttpMethod.POST) {
                inference(exchange);
            } else {
                methodNotAllowed(exchange, "POST");
            }
            return;
        }
        switch (exchange.path()) {
            case "/v1/attestation" -> {
                if (method == HttpMethod.GET) {
                    attestation(exchange);
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            }
            case "/health" -> {
                if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
                    health(exchange);
                } else {
                    methodNotAllowed(exchange, "GET");
                }
            }
            default -> Replies.error(exchange, new OpenAiError(404, "Unknown path. A Veil node serves "
                    + dev.veil.protocol.api.Endpoint.paths(dev.veil.protocol.api.Endpoint::e2ee)
                    + " (e2ee only), /v1/attestation and /health.",
                    OpenAiError.INVALID_REQUEST, null, "unknown_url"));
        }
    }

    private void inference(NodeExchange exchange) {
        GatewayCredentials.Signed signed = exchange.signed();
        if (signed == null) {
            checkAndOpen(exchange, null);
            return;
        }
        // Signed by a gateway: the body is read and the signature verified before anything else, so a caller whose
        // signature does not hold learns nothing but 401 and causes no work (no key lookup, rotation or decryption).
        BoundedBody.read(exchange.request(), maxBodyBytes).onComplete(read -> {
            try {
                if (read.failed()) {
                    bodyFailed(exchange, read.cause());
                    return;
                }
                OpenAiError refusal = signed.verify(read.result());
                if (refusal != null) {
                    refuse(exchange, refusal);
                    return;
                }
                checkAndOpen(exchange, read.result());
            } catch (RuntimeException e) {
                fail(exchange, e);
            }
        });
    }

    /**
     * The clear headers' checks, then the body (read here unless {@code body}, already read and verified, is given),
     * then {@link #open}.
     */
    private void checkAndOpen(NodeExchange exchange, byte[] body) {
        HttpServerRequest request = exchange.request();
        String version = request.getHeader(E2ee.HEADER_VERSION);
        if (version == null) {
            Replies.error(exchange, NodeErrors.malformed("This node accepts only end-to-end encrypted requests: send "
                    + "Veil-E2EE: v1 with an encrypted body (docs/e2ee.md).", E2ee.HEADER_VERSION));
            return;
        }
        if (!version.trim().equals(E2ee.VERSION)) {
            Replies.error(exchange, NodeErrors.unsupported("This node speaks e2ee v1 only; Veil-E2EE must be v1.",
                    E2ee.HEADER_VERSION));
            return;
        }
        String contentType = request.getHeader("content-type");
        if (contentType != null && !baseType(contentType).equals(E2ee.CONTENT_TYPE)) {
            Replies.error(exchange, NodeErrors.malformed("An e2ee request's Content-Type is " + E2ee.CONTENT_TYPE + ".",
                    "Content-Type"));
            return;
        }
        String model = request.getHeader(E2ee.HEADER_MODEL);
        if (model == null || model.isBlank()) {
            Replies.error(exchange, NodeErrors.malformed("Veil-Model must name the public model id.", E2ee.HEADER_MODEL));
            return;
        }
        String nodeKeyId = request.getHeader(E2ee.HEADER_NODE_KEY);
        if (nodeKeyId == null || nodeKeyId.isBlank()) {
            Replies.error(exchange, NodeErrors.malformed("Veil-Node-Key must name the node key id the request is "
                    + "encrypted to.", E2ee.HEADER_NODE_KEY));
            return;
        }
        Boolean stream = parseStream(request.getHeader(E2ee.HEADER_STREAM));
        if (stream == null) {
            Replies.error(exchange, NodeErrors.malformed("Veil-Stream must be true or false.", E2ee.HEADER_STREAM));
            return;
        }
        String engineModel = models.get(model);
        if (engineModel == null) {
            Replies.error(exchange, NodeErrors.modelNotFound());
            return;
        }
        NodeKey key = keys.find(nodeKeyId.trim());
        if (key == null) {
            Replies.error(exchange, NodeErrors.unknownKey());
            return;
        }
        if (key.replay().full()) {
            // A full replay set accepts nothing more: the key is retired and the client must attest again.
            rotateIfCurrent(key);
            Replies.error(exchange, NodeErrors.unknownKey());
            return;
        }
        RequestMeta meta = new RequestMeta(exchange.path(), model, stream);
        if (body != null) {
            open(exchange, key, meta, engineModel, body);
            return;
        }
        BoundedBody.read(request, maxBodyBytes).onComplete(read -> {
            try {
                if (read.failed()) {
                    bodyFailed(exchange, read.cause());
                    return;
                }
                open(exchange, key, meta, engineModel, read.result());
            } catch (RuntimeException e) {
                fail(exchange, e);
            }
        });
    }

    private void open(NodeExchange exchange, NodeKey key, RequestMeta meta, String engineModel, byte[] body) {
        OpenedRequest opened;
        try {
            opened = OpenedRequest.open(key.pair(), key.replay(), meta, body);
        } catch (E2eeException e) {
            if (e instanceof E2eeException.Replay && key.replay().full()) {
                // Another event loop filled the set between the check and the open: not a replay, a retired key.
                rotateIfCurrent(key);
                Replies.error(exchange, NodeErrors.unknownKey());
            } else {
                Replies.error(exchange, NodeErrors.of(e));
            }
            return;
        }
        if (key.replay().full()) {
            // This request was the key's last: rotate now, so the next attestation hands out a fresh key.
            rotateIfCurrent(key);
        }
        relay.relay(exchange, new EngineRelay.Forward(meta.model(), engineModel, meta.stream(), key.nodeKeyId(), opened,
                dev.veil.protocol.api.Endpoint.byPath(meta.path())));
    }

    private void rotateIfCurrent(NodeKey key) {
        if (keys.rotateIfCurrent(key)) {
            LOG.info("replay set of node key {} is full; rotated to {}", key.nodeKeyId(), keys.current().nodeKeyId());
            rotated.run();
        }
    }

    private void bodyFailed(NodeExchange exchange, Throwable cause) {
        if (cause instanceof BoundedBody.TooLarge) {
            Replies.error(exchange, NodeErrors.tooLarge(maxBodyBytes));
        } else if (cause instanceof BoundedBody.BadLength) {
            Replies.error(exchange, NodeErrors.malformed("The Content-Length header is not a number.", "Content-Length"));
        } else {
            // The client's connection failed while sending: nobody to answer.
            LOG.debug("request_id={} body read failed: {}", exchange.requestId(), cause.getClass().getName());
            exchange.complete(NodeExchange.CLIENT_CLOSED);
        }
    }

    private void attestation(NodeExchange exchange) {
        String nonceHex;
        try {
            nonceHex = exchange.request().getParam("nonce");
        } catch (IllegalArgumentException e) {
            // Vert.x refuses a malformed percent-encoding in the query: the client's mistake, not a 500.
            nonceHex = null;
        }
        if (nonceHex == null || !NONCE.matcher(nonceHex).matches()) {
            Replies.error(exchange, NodeErrors.invalidNonce());
            return;
        }
        byte[] nonce = E2ee.unhex(nonceHex);
        NodeKey key = keys.current();
        // On a worker: a hardware source talks to firmware through configfs, which blocks.
        vertx.executeBlocking(() -> attest(key, nonce), false).onComplete(made -> {
            if (made.failed()) {
                // No request content reaches attestation, so the reason is logged whole for the operator; the caller
                // gets a generic 503.
                LOG.warn("request_id={} no attestation evidence: {}: {}", exchange.requestId(),
                        made.cause().getClass().getName(), made.cause().getMessage());
                Replies.error(exchange, NodeErrors.evidenceUnavailable());
            } else {
                Replies.json(exchange, 200, made.result().withDeclaration(declaration).toJson());
            }
        });
    }

    /**
     * The GPUs' reports for this nonce first, then the CPU report binding their digest (docs/e2ee.md §3.2), so one
     * verifier nonce covers the whole set.
     */
    private Evidence attest(NodeKey key, byte[] nonce) {
        List<GpuReport> gpuReports = gpus.collect(GpuBinding.gpuNonce(nonce), signingKey);
        return evidence.attest(key.keyConfig(), signingKey, nonce, GpuBinding.digest(gpuReports)).withGpus(gpuReports);
    }

    private void health(NodeExchange exchange) {
        ObjectNode body = json.createObjectNode();
        body.put("status", "ok");
        body.put("node_key_id", keys.current().nodeKeyId());
        try {
            Replies.json(exchange, 200, json.writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            fail(exchange, e);
        }
    }

    private void methodNotAllowed(NodeExchange exchange, String allowed) {
        exchange.response().putHeader("allow", allowed);
        Replies.error(exchange, new OpenAiError(405, "This path accepts only " + allowed + ".", OpenAiError.INVALID_REQUEST,
                null, "method_not_allowed"));
    }

    private void fail(NodeExchange exchange, Throwable failure) {
        // Exception messages may quote input, so only the class is logged.
        LOG.error("request_id={} path={} failed internally: {}", exchange.requestId(), exchange.path(),
                failure.getClass().getName());
        if (!exchange.response().headWritten()) {
            Replies.error(exchange, NodeErrors.internal());
        } else if (!exchange.response().ended()) {
            exchange.response().reset();
        }
    }

    private static Boolean parseStream(String value) {
        if (value == null) {
            return null;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> null;
        };
    }

    private static String baseType(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }
}
