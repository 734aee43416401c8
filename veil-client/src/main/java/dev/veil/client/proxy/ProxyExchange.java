package dev.veil.client.proxy;

import dev.veil.client.E2eeCall;
import dev.veil.client.GatewayException;
import dev.veil.client.VerifiedGatewayReceipt;
import dev.veil.client.VerifiedNode;
import dev.veil.protocol.AnthropicErrors;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.api.Endpoint;
import dev.veil.protocol.sse.SseEvents;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.protocol.receipt.GatewayReceipt;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One local inference request: attest (cached) and seal on a worker thread, send to the gateway with Vert.x's client,
 * and relay the decrypted answer. Everything after the seal runs on the request's event loop.
 *
 * <p>A stream is written event by event as frames arrive, pausing the gateway's response while the local client's
 * write queue is full; the stream's end event ({@code data: [DONE]}, or a typed stream's terminal event such as
 * {@code response.completed} or {@code message_stop}), and anything after it, is held back until the final frame and
 * the node's receipt verified, so a failure ends the stream with an error event in the endpoint's own shape and never
 * with its end event. A whole answer is written only after the final frame and the receipt verified.
 */
final class ProxyExchange {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyExchange.class);
    private static final int MAX_WHOLE_BYTES = E2ee.MAX_FRAME;
    private static final int MAX_ERROR_BYTES = 1024 * 1024;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final byte[] DONE = "data: [DONE]".getBytes(StandardCharsets.US_ASCII);
    /** The header by which the proxy tells the local client that the gateway receipt it relays verified. */
    static final String RECEIPT_VERIFIED = "x-veil-receipt-verified";

    private final ProxyHandler proxy;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final String path;
    private final String model;
    private final boolean stream;
    private final byte[] json;
    private final Endpoint endpoint;
    /** Events written to the local client (the Responses API numbers an error event after them). */
    private long written;

    private int attempts;
    private boolean finished;
    private HttpClientRequest upstreamRequest;
    private E2eeCall call;
    private VerifiedGatewayReceipt gatewayReceipt;
    private ResponseOpener.Head head;
    private boolean eventMode;
    private boolean holding;
    private final List<byte[]> held = new ArrayList<>();
    private final Buffer whole = Buffer.buffer();

    ProxyExchange(ProxyHandler proxy, HttpServerRequest request, String path, String model, boolean stream, byte[] json) {
        this.proxy = proxy;
        this.request = request;
        this.response = request.response();
        this.path = path;
        this.model = model;
        this.stream = stream;
        this.json = json;
        this.endpoint = Endpoint.byPath(path);
    }

    void start() {
        response.closeHandler(v -> {
            if (!response.ended() && !finished) {
                // The local client left: stop the gateway request (and the generation behind it).
                finished = true;
                if (upstreamRequest != null) {
                    upstreamRequest.reset();
                }
            }
        });
        attempt();
    }

    private void attempt() {
        attempts++;
        proxy.workers.<E2eeCall>executeBlocking(() -> {
            VerifiedNode node = proxy.client.attest(model);
            if (proxy.client.expectsGatewayReceipts()) {
                // Fetched (and checked against the log) here, so the answer's receipt verifies on the event loop.
                proxy.client.gatewayReceiptKey();
            }
            return E2eeCall.seal(node, path, stream, json);
        }, false).onComplete(sealed -> {
                    if (finished) {
                        return;
                    }
                    if (sealed.failed()) {
                        failBeforeAnswer(sealed.cause());
                    } else {
                        send(sealed.result());
                    }
                });
    }

    private void send(E2eeCall sealed) {
        RequestOptions options = proxy.gatewayRequest(HttpMethod.POST, path);
        sealed.headers().forEach(options::putHeader);
        proxy.gateway.request(options).onComplete(created -> {
            if (created.failed()) {
                if (!finished) {
                    failBeforeAnswer(created.cause());
                }
                return;
            }
            HttpClientRequest r = created.result();
            if (finished) {
                r.reset();
                return;
            }
            upstreamRequest = r;
            r.send(Buffer.buffer(sealed.body())).onComplete(sent -> {
                if (finished) {
                    return;
                }
                if (sent.failed()) {
                    failBeforeAnswer(sent.cause());
                } else {
                    onResponse(sealed, sent.result());
                }
            });
        });
    }

    private void onResponse(E2eeCall sealed, HttpClientResponse upstream) {
        int status = upstream.statusCode();
        if (status != 200) {
            ProxyHandler.collect(upstream, MAX_ERROR_BYTES, body -> {
                if (finished) {
                    return;
                }
                GatewayException error = GatewayException.fromResponse(status, body == null ? new byte[0] : body.getBytes());
                if (error.unknownKey() && attempts == 1) {
                    // The node key rotated: attest again and retry once.
                    proxy.client.forget(model, sealed.node().nodeKeyId());
                    attempt();
                    return;
                }
                LOG.debug("gateway refused an e2ee request: status={} code={}", status, error.code());
                failBeforeAnswer(error);
            });
            return;
        }
        String contentType = upstream.getHeader("content-type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith(E2ee.CONTENT_TYPE)) {
            upstream.request().reset();
            fail(new E2eeException.Malformed("the gateway's answer is not encrypted (content type '" + contentType
                    + "'); refusing it"));
            return;
        }
        try {
            // The gateway's signed receipt must name exactly the sealed body sent, before any answer is relayed.
            gatewayReceipt = proxy.client.verifyGatewayReceipt(upstream.getHeader(GatewayReceipt.HEADER),
                    upstream.getHeader(GatewayReceipt.SIGNATURE_HEADER), sealed.body(), upstream.getHeader("x-request-id"));
        } catch (E2eeException.BadReceipt e) {
            upstream.request().reset();
            fail(e);
            return;
        }
        call = sealed;
        upstream.handler(data -> onData(upstream, data));
        upstream.exceptionHandler(t -> {
            if (!finished) {
                E2eeException truncated = new E2eeException.Truncated();
                truncated.initCause(t);
                call.fail(truncated);
                fail(truncated);
            }
        });
        upstream.endHandler(v -> onEnd());
    }

    private void onData(HttpClientResponse upstream, Buffer data) {
        if (finished) {
            return;
        }
        List<ResponseOpener.Part> parts;
        try {
            parts = call.accept(data.getBytes());
        } catch (E2eeException e) {
            fail(e);
            return;
        }
        for (ResponseOpener.Part part : parts) {
            switch (part) {
                case ResponseOpener.Head h -> {
                    head = h;
                    eventMode = stream && h.status() >= 200 && h.status() < 300 && h.contentType() != null
                            && h.contentType().toLowerCase(Locale.ROOT).startsWith("text/event-stream");
                }
                case ResponseOpener.Chunk chunk -> {
                    if (!chunk(chunk)) {
                        return;
                    }
                }
                case ResponseOpener.Receipt ignored -> {
                    // verified by the call; the answer completes when the body ends
                }
            }
        }
        if (eventMode && response.writeQueueFull()) {
            upstream.pause();
            response.drainHandler(v -> upstream.resume());
        }
    }

    /** Handles one decrypted chunk; false when the exchange failed. */
    private boolean chunk(ResponseOpener.Chunk chunk) {
        byte[] bytes = chunk.data();
        if (!eventMode) {
            if (whole.length() + bytes.length > MAX_WHOLE_BYTES) {
                abort(new OpenAiError(502, "The decrypted answer is larger than the proxy's limit of " + MAX_WHOLE_BYTES
                        + " bytes.", OpenAiError.UPSTREAM, null, "response_too_large"), "response_too_large");
                return false;
            }
            whole.appendBytes(bytes);
            return true;
        }
        if (bytes.length == 0) {
            return true;
        }
        if (holding || chunk.last() || isEnd(bytes)) {
            holding = true;
            held.add(bytes);
            return true;
        }
        writeEvent(bytes);
        return true;
    }

    private void onEnd() {
        if (finished) {
            return;
        }
        try {
            call.end();
        } catch (E2eeException e) {
            fail(e);
            return;
        }
        finished = true;
        if (response.closed() || response.ended()) {
            return;
        }
        if (eventMode) {
            for (byte[] event : held) {
                writeEvent(event);
            }
            if (!response.headWritten()) {
                startResponse(true);
            }
            response.end();
        } else {
            String contentType = head.contentType() == null ? "application/json" : head.contentType();
            response.setStatusCode(head.status()).putHeader("content-type", contentType);
            nodeHeaders();
            response.end(whole);
        }
    }

    private void writeEvent(byte[] bytes) {
        if (response.closed()) {
            return;
        }
        if (!response.headWritten()) {
            startResponse(true);
        }
        response.write(Buffer.buffer(bytes));
        written++;
    }

    private void startResponse(boolean chunked) {
        response.setStatusCode(head.status()).setChunked(chunked)
                .putHeader("content-type", head.contentType())
                .putHeader("cache-control", "no-cache");
        nodeHeaders();
    }

    private void nodeHeaders() {
        VerifiedNode node = call.node();
        response.putHeader("x-veil-e2ee", E2ee.VERSION)
                .putHeader("x-veil-node-key", node.nodeKeyId())
                .putHeader("x-veil-attestation", node.format());
        if (gatewayReceipt != null) {
            // The receipt as the gateway signed it, so the local client can keep or show it, and the proxy's word
            // that it verified (signature by the published receipt key, body hash, request id).
            response.putHeader(GatewayReceipt.HEADER, gatewayReceipt.receipt().text())
                    .putHeader(GatewayReceipt.SIGNATURE_HEADER, gatewayReceipt.receipt().signatureText())
                    .putHeader(RECEIPT_VERIFIED, "true");
        }
    }

    /** Whether {@code event} ends the stream: {@code [DONE]}, or one of the endpoint's terminal events. */
    private boolean isEnd(byte[] event) {
        Endpoint.Streaming streaming = endpoint.streaming();
        if (streaming == null || streaming.endsWithSentinel()) {
            if (event.length > 64) {
                return false;
            }
            String text = new String(event, StandardCharsets.US_ASCII).strip();
            return text.equals(new String(DONE, StandardCharsets.US_ASCII));
        }
        SseEvents.Event parsed = SseEvents.parse(event);
        if (parsed == null) {
            return false;
        }
        if (parsed.name() != null) {
            return streaming.terminalEvents().contains(parsed.name());
        }
        try {
            return streaming.terminalEvents().contains(JSON.readTree(parsed.data()).path("type").asText(""));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** A failure before the gateway's answer began: an error answer. */
    private void failBeforeAnswer(Throwable failure) {
        if (failure instanceof GatewayException refused && !finished && !response.headWritten()
                && ProxyErrors.notServedByTheProxy(refused, model) != null) {
            finished = true;
            ProxyHandler.error(request, ProxyErrors.notServedByTheProxy(refused, model));
            return;
        }
        if (failure instanceof GatewayException refused && !finished && !response.headWritten()) {
            // The gateway's (or, found before sending, the node's) answer as it was given: a policy refusal keeps its
            // "excluded" list, so the local client sees what it would see in plaintext.
            finished = true;
            ProxyHandler.json(response, refused.status(), ProxyHandler.anthropic(request)
                    ? AnthropicErrors.reshape(refused.status(), refused.body()) : refused.body());
            return;
        }
        OpenAiError error = ProxyErrors.of(failure, proxy.target.origin());
        if (error.httpStatus() >= 500) {
            LOG.warn("e2ee request failed: status={} code={} ({})", error.httpStatus(), error.code(),
                    failure.getClass().getSimpleName());
        }
        abort(error, error.code());
    }

    /** A protocol failure while the answer arrived. */
    private void fail(E2eeException e) {
        abort(ProxyErrors.e2ee(e), e.code());
    }

    private void abort(OpenAiError error, String code) {
        if (finished) {
            return;
        }
        finished = true;
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
        if (call != null) {
            LOG.warn("e2ee answer refused: code={}", code);
        }
        if (response.closed() || response.ended()) {
            return;
        }
        if (response.headWritten()) {
            // The stream began: end it with an error event in the endpoint's shape and without its end event.
            response.end(Buffer.buffer(AnthropicErrors.streamEvent(endpoint.errors(), error, written)));
        } else {
            ProxyHandler.error(request, error);
        }
    }
}
