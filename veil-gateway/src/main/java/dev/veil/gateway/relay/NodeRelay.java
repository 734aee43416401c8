package dev.veil.gateway.relay;

import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.Responses;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.FrameReader;
import dev.veil.gateway.metering.PrivacyReceipt;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.protocol.e2ee.SignedReceipt;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a node's e2ee answer. For an e2ee request (the client holds the keys) the bytes pass through untouched,
 * with backpressure, while the frames are scanned only for the node's clear, signed receipt, which is what Veil bills
 * from. For a plaintext request to a node route ({@code tee} mode) Veil is the e2ee client: it opens the frames with
 * the request's keys, checks the receipt against the attested signing key, and relays the plaintext; a whole answer is
 * released only after its final frame and receipt verified.
 */
final class NodeRelay {

    private static final Logger LOG = LoggerFactory.getLogger(NodeRelay.class);

    private final RequestMeter meter;
    private final NodeRegistry nodes;
    /** How long an answer waits for a client that takes none of its bytes before dropping it. */
    private final long sendTimeoutMs;

    NodeRelay(RequestMeter meter, NodeRegistry nodes, long sendTimeoutMs) {
        this.meter = meter;
        this.nodes = nodes;
        this.sendTimeoutMs = sendTimeoutMs;
    }

    /** Relays an e2ee answer as opaque bytes, billing from the node's receipt. */
    void passThrough(Exchange exchange, Route route, HttpClientResponse upstream) {
        HttpServerResponse response = exchange.response();
        FrameReader frames = new FrameReader();
        VerifiedNode node = nodes.verified(route.upstream().name()).orElse(null);
        Usage[] billed = {null};
        boolean[] broken = {false};
        IdleWatch watch = IdleWatch.start(Vertx.currentContext().owner(), route.upstream().idleTimeoutMs(), () -> {
            LOG.debug("request_id={} node answer went silent", exchange.requestId());
            meter.complete(exchange, 504);
            upstream.request().reset();
            if (!response.ended() && !response.closed()) {
                response.reset();
            }
        });
        long[] drainTimer = {-1};
        response.closeHandler(v -> {
            watch.stop();
            cancelTimer(drainTimer);
            if (!response.ended()) {
                meter.complete(exchange, Exchange.CLIENT_CLOSED);
                upstream.request().reset();
            }
        });
        response.setStatusCode(200).setChunked(true).putHeader("content-type", E2ee.CONTENT_TYPE);
        upstream.handler(chunk -> {
            watch.touch();
            exchange.firstToken();
            if (!broken[0]) {
                try {
                    for (FrameReader.Frame frame : frames.accept(chunk.getBytes())) {
                        if (frame.receipt()) {
                            billed[0] = usageFrom(SignedReceipt.fromFramePayload(frame.payload()), node, exchange);
                        }
                    }
                } catch (E2eeException e) {
                    // The client will refuse the bytes itself; Veil just stops looking for a receipt.
                    broken[0] = true;
                    LOG.debug("request_id={} e2ee framing unreadable: {}", exchange.requestId(), e.code());
                }
            }
            if (!response.closed()) {
                response.write(chunk);
                if (response.writeQueueFull()) {
                    awaitClient(exchange, upstream, watch, drainTimer);
                }
            }
        });
        upstream.exceptionHandler(failure -> {
            watch.stop();
            meter.complete(exchange, 502);
            if (!response.ended() && !response.closed()) {
                // Cutting the body short is the signal: the client detects the truncation and fails closed.
                response.reset();
            }
        });
        upstream.endHandler(v -> {
            watch.stop();
            exchange.usage(billed[0]);
            meter.complete(exchange, billed[0] != null ? 200 : 502);
            if (!response.closed() && !response.ended()) {
                response.end();
            }
        });
    }

    /** Opens a node's answer to a request Veil sealed on the client's behalf ({@code tee} mode) and relays plaintext. */
    void open(Exchange exchange, Route route, SealedRequest sealed, VerifiedNode node, HttpClientResponse upstream,
              boolean stream, PrivacyReceipt.Issued veilReceipt) {
        HttpServerResponse response = exchange.response();
        ResponseOpener opener = sealed.responseOpener();
        Buffer whole = Buffer.buffer();
        boolean[] done = {false};
        IdleWatch watch = IdleWatch.start(Vertx.currentContext().owner(), route.upstream().idleTimeoutMs(), () -> {
            if (!done[0]) {
                done[0] = true;
                fail(exchange, stream, new E2eeException.Truncated());
                upstream.request().reset();
            }
        });
        long[] drainTimer = {-1};
        response.closeHandler(v -> {
            watch.stop();
            cancelTimer(drainTimer);
            if (!response.ended()) {
                meter.complete(exchange, Exchange.CLIENT_CLOSED);
                upstream.request().reset();
            }
        });
        upstream.handler(chunk -> {
            if (done[0]) {
                return;
            }
            watch.touch();
            exchange.firstToken();
            try {
                for (ResponseOpener.Part part : opener.accept(chunk.getBytes())) {
                    switch (part) {
                        case ResponseOpener.Head head -> {
                            response.setStatusCode(head.status());
                            response.putHeader("content-type", head.contentType() == null ? Responses.JSON : head.contentType());
                            if (stream && head.status() == 200) {
                                response.setChunked(true).putHeader("cache-control", "no-cache");
                            }
                        }
                        case ResponseOpener.Chunk data -> {
                            if (stream && response.getStatusCode() == 200) {
                                if (!response.closed() && data.data().length > 0) {
                                    response.write(Buffer.buffer(data.data()));
                                    if (response.writeQueueFull()) {
                                        awaitClient(exchange, upstream, watch, drainTimer);
                                    }
                                }
                            } else if (whole.length() + data.data().length > route.upstream().maxResponseBytes()) {
                                throw new E2eeException.Malformed("answer larger than the upstream's max_response_bytes");
                            } else {
                                whole.appendBytes(data.data());
                            }
                        }
                        case ResponseOpener.Receipt receipt -> {
                            Receipt r = opener.verifyReceipt(receipt.signed(), node.signingKey());
                            exchange.usage(new Usage(r.promptTokens(), r.completionTokens(),
                                    r.promptTokens() + r.completionTokens(), r.usageEstimated()));
                        }
                    }
                }
            } catch (E2eeException e) {
                done[0] = true;
                watch.stop();
                fail(exchange, stream, e);
                upstream.request().reset();
            }
        });
        upstream.exceptionHandler(failure -> {
            watch.stop();
            if (!done[0]) {
                done[0] = true;
                fail(exchange, stream, new E2eeException.Truncated());
            }
        });
        upstream.endHandler(v -> {
            watch.stop();
            if (done[0]) {
                return;
            }
            done[0] = true;
            try {
                opener.end();
            } catch (E2eeException e) {
                fail(exchange, stream, e);
                return;
            }
            int status = response.getStatusCode();
            meter.complete(exchange, status);
            if (response.closed() || response.ended()) {
                return;
            }
            if (stream && status == 200) {
                response.end(veilReceipt.closingComment(exchange.usage()));
            } else {
                // The head has not left yet: the receipt carries the counts of the node's verified receipt.
                veilReceipt.replaceHeaders(response.headers(), exchange.usage());
                response.end(whole);
            }
        });
    }

    private void fail(Exchange exchange, boolean stream, E2eeException e) {
        LOG.warn("request_id={} node answer refused: {}", exchange.requestId(), e.code());
        HttpServerResponse response = exchange.response();
        OpenAiError error = new OpenAiError(502, "The node's encrypted answer failed verification (" + e.code()
                + "); nothing of it was accepted.", OpenAiError.UPSTREAM, null, e.code());
        meter.complete(exchange, 502);
        if (response.closed() || response.ended()) {
            return;
        }
        if (response.headWritten()) {
            response.end(Buffer.buffer("data: ").appendBytes(error.toJson()).appendString("\n\n"));
        } else {
            PrivacyReceipt.removeHeaders(response.headers());
            Responses.error(response, error);
        }
    }

    private static Usage usageFrom(SignedReceipt signed, VerifiedNode node, Exchange exchange) throws E2eeException {
        if (node == null || !signed.verifies(node.signingKey())) {
            LOG.warn("request_id={} node receipt does not verify with the attested signing key", exchange.requestId());
            return null;
        }
        Receipt r = signed.receipt();
        return new Usage(r.promptTokens(), r.completionTokens(), r.promptTokens() + r.completionTokens(),
                r.usageEstimated());
    }

    static List<String> e2eeHeaders() {
        return List.of(E2ee.HEADER_VERSION, E2ee.HEADER_MODEL, E2ee.HEADER_NODE_KEY, E2ee.HEADER_STREAM);
    }

    /**
     * The client is slow: the upstream waits, and its silence meanwhile is not the node's. A client that takes nothing
     * for the send timeout is dropped; the response's close handler then meters it and resets the node request.
     */
    private void awaitClient(Exchange exchange, HttpClientResponse upstream, IdleWatch watch, long[] drainTimer) {
        long held = SlowClient.holdIfFull(Vertx.currentContext().owner(), exchange, exchange.response(), upstream, watch,
                sendTimeoutMs, () -> drainTimer[0] = -1);
        if (held >= 0) {
            drainTimer[0] = held;
        }
    }

    /** The client left: a pending send timeout would only keep the exchange in memory until it fired. */
    private static void cancelTimer(long[] drainTimer) {
        if (drainTimer[0] >= 0) {
            Vertx.currentContext().owner().cancelTimer(drainTimer[0]);
            drainTimer[0] = -1;
        }
    }
}
