package dev.veil.gateway.relay;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.GatewayBusy;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.http.Responses;
import dev.veil.gateway.metering.PrivacyReceipt;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.RequestRewriter;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageEstimator;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.gateway.routing.CircuitBreaker;
import dev.veil.protocol.translate.ChatToResponsesStream;
import dev.veil.protocol.translate.ResponsesToChat;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.openai.ModelNames;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.gateway.routing.Upstream;
import dev.veil.http.MemoryBudget;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.tokens.CompletionCounter;
import dev.veil.tokens.UsageChunk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends an accepted request to the first of its candidate routes and relays the answer. Candidates come from the
 * route planner, so every one complies with the request's effective policy: retries and fallbacks (on connect errors,
 * timeouts, 429 and 5xx, before any byte reached the client) walk only that list, with exponential backoff and a
 * bounded number of attempts, skipping routes whose circuit breaker is open ({@link AttemptWalker}, shared with the
 * batch runner). Streams pass through event by event
 * with backpressure; a client that goes away resets the upstream request; an upstream that fails mid-stream ends the
 * client's stream with an error event. Nothing here logs content: failures are logged by exception class only.
 *
 * <p>Usage is the upstream's when it reports it. When it does not (an upstream that ignores
 * {@code stream_options.include_usage}, or an answer without {@code usage}), Veil counts the tokens itself with the
 * route's tokenizer ({@link UsageEstimator}) and marks the figures estimated in the request log, the receipt and the
 * usage chunk it then writes for a client that asked for one.
 */
public final class InferenceRelay {

    private static final Logger LOG = LoggerFactory.getLogger(InferenceRelay.class);
    private static final String EVENT_STREAM = "text/event-stream";

    private final UpstreamClients clients;
    private final RequestMeter meter;
    private final RequestRewriter rewriter;
    private final RouteHealth health;
    private final RoutingConfig routing;
    private final PrivacyReceipt receipts;
    private final UsageReader usageReader;
    private final UsageEstimator usageEstimator;
    private final UsageChunk usageChunk;
    private final UpstreamErrors upstreamErrors;
    private final List<String> forwardHeaders;
    private final NodeRegistry nodes;
    private final NodeRelay nodeRelay;
    /** How long a stream waits for a client that takes none of its bytes before dropping it. */
    private final long sendTimeoutMs;
    private final MemoryBudget bodies;

    /** The relay's collaborators. */
    public record Parts(UpstreamClients clients, JsonFactory json, RequestMeter meter, RequestRewriter rewriter,
                        RouteHealth health, RoutingConfig routing, PrivacyReceipt receipts, List<String> forwardHeaders,
                        NodeRegistry nodes, long sendTimeoutMs, MemoryBudget bodies) {
    }

    /**
     * @param parts its collaborators; {@code forwardHeaders} are the client request headers (lower case) the operator
     *              allows through; everything else, and always the caller's credential and addresses, stays behind
     */
    public InferenceRelay(Parts parts) {
        this.clients = parts.clients();
        this.meter = parts.meter();
        this.rewriter = parts.rewriter();
        this.health = parts.health();
        this.routing = parts.routing();
        this.receipts = parts.receipts();
        this.usageReader = new UsageReader(parts.json());
        this.usageEstimator = new UsageEstimator(parts.json());
        this.usageChunk = new UsageChunk(parts.json());
        this.upstreamErrors = new UpstreamErrors(parts.json());
        this.forwardHeaders = List.copyOf(parts.forwardHeaders());
        this.nodes = parts.nodes();
        this.sendTimeoutMs = parts.sendTimeoutMs();
        this.bodies = parts.bodies();
        this.nodeRelay = new NodeRelay(parts.meter(), parts.nodes(), sendTimeoutMs);
    }

    /** One request's walk through its candidate routes. Confined to the request's event loop. */
    private static final class Attempts extends LiveAttempts {
        final InferenceRequest request;
        final byte[] clientBody;
        /** An e2ee request: the body is ciphertext for a node and passes through untouched. */
        final boolean e2ee;
        /** For a plaintext request to a node route: the request Veil sealed on the client's behalf. */
        SealedRequest sealed;
        VerifiedNode sealedFor;
        /** The current attempt's upstream does not speak the endpoint's API: Veil translates (Responses → chat). */
        boolean translating;

        Attempts(Exchange exchange, InferenceRequest request, byte[] clientBody, Vertx vertx,
                 boolean e2ee) {
            super(exchange, vertx);
            this.request = request;
            this.clientBody = clientBody;
            this.e2ee = e2ee;
        }
    }

    /**
     * Relays the request to the first candidate that answers.
     *
     * @param candidates compliant routes, best first (never empty)
     * @param clientBody the client's body; rewritten for each route tried
     */
    public void relay(Exchange exchange, InferenceRequest request, List<Route> candidates, byte[] clientBody) {
        relay(exchange, request, candidates, clientBody, false);
    }

    /**
     * As {@link #relay(Exchange, InferenceRequest, List, byte[])}; with {@code e2ee} the body is an e2ee request for a
     * node (candidates are node routes holding its key) and is relayed as opaque bytes.
     */
    public void relay(Exchange exchange, InferenceRequest request, List<Route> candidates, byte[] clientBody, boolean e2ee) {
        Attempts attempts = new Attempts(exchange, request, clientBody, Vertx.currentContext().owner(), e2ee);
        attempts.walk(meter, routing, health, candidates, (route, breaker) -> send(attempts, route, breaker),
                error -> answerError(attempts, error));
    }

    private void send(Attempts a, Route route, CircuitBreaker breaker) {
        Exchange exchange = a.exchange;
        exchange.route(route);
        a.inFlightBreaker = breaker;
        byte[] body;
        a.translating = !route.node() && !route.upstream().speaks(a.request.endpoint().api());
        RequestOptions options = options(route, a.request, exchange.request(), a.translating);
        if (!route.node()) {
            byte[] rewritten = rewriter.rewrite(a.clientBody, a.request, route.upstreamModel(), route.forwarding(), true);
            body = a.translating ? ResponsesToChat.request(ResponsesToChat.parse(rewritten)) : rewritten;
        } else if (a.e2ee) {
            body = a.clientBody;
            options.putHeader("content-type", E2ee.CONTENT_TYPE).putHeader("accept", E2ee.CONTENT_TYPE);
            for (String header : NodeRelay.e2eeHeaders()) {
                options.putHeader(header, exchange.request().getHeader(header));
            }
        } else {
            VerifiedNode node = nodes.verified(route.upstream().name()).orElse(null);
            if (node == null) {
                // The node lost its admission since planning: try the next candidate.
                breaker.release();
                a.walker.retry(new OpenAiError(503, "The route's node has no verified attestation right now; retry "
                        + "shortly.", OpenAiError.UPSTREAM, null, "node_not_attested"));
                return;
            }
            // tee mode: Veil is the e2ee client, so the plaintext never crosses the network to the node.
            byte[] plaintext = rewriter.rewrite(a.clientBody, a.request, route.upstreamModel(), route.forwarding(), false);
            String path = route.upstream().basePath() + a.request.endpoint().upstreamPath();
            a.sealed = SealedRequest.seal(node.keyConfig(), new RequestMeta(path, route.modelId(), a.request.stream()), plaintext);
            a.sealedFor = node;
            body = a.sealed.body();
            options.putHeader("content-type", E2ee.CONTENT_TYPE).putHeader("accept", E2ee.CONTENT_TYPE)
                    .putHeader(E2ee.HEADER_VERSION, E2ee.VERSION).putHeader(E2ee.HEADER_MODEL, route.modelId())
                    .putHeader(E2ee.HEADER_NODE_KEY, node.nodeKeyId())
                    .putHeader(E2ee.HEADER_STREAM, Boolean.toString(a.request.stream()));
        }
        Attempting.signForNode(route.upstream(), options, body);
        long started = System.nanoTime();
        clients.get(route.upstream().name()).request(options).onComplete(created -> {
            if (created.failed()) {
                if (Attempting.poolBusy(created.cause())) {
                    onPoolBusy(a, route, breaker);
                } else {
                    onFailure(a, route, breaker, created.cause());
                }
                return;
            }
            HttpClientRequest upstreamRequest = created.result();
            if (a.clientGone) {
                upstreamRequest.reset();
                return;
            }
            a.inFlight = upstreamRequest;
            upstreamRequest.send(Buffer.buffer(body)).onComplete(sent -> {
                if (sent.failed()) {
                    onFailure(a, route, breaker, sent.cause());
                } else {
                    onResponse(a, route, breaker, sent.result(), started);
                }
            });
        });
    }

    private RequestOptions options(Route route, InferenceRequest request, HttpServerRequest client, boolean translating) {
        Upstream upstream = route.upstream();
        RequestOptions options = Attempting.post(upstream, translating ? Endpoint.CHAT_COMPLETIONS.upstreamPath()
                        : request.endpoint().upstreamPath(),
                request.stream() ? EVENT_STREAM : HeaderNames.APPLICATION_JSON);
        for (String name : forwardHeaders) {
            String value = client.getHeader(name);
            if (value != null) {
                options.putHeader(name, value);
            }
        }
        return options;
    }

    private void onFailure(Attempts a, Route route, CircuitBreaker breaker, Throwable cause) {
        LOG.debug("request_id={} route={} attempt failed: {}", a.exchange.requestId(), route.name(),
                cause.getClass().getSimpleName());
        attemptFailed(a, route, breaker, Attempting.connectionError(cause));
    }

    /** The attempt failed because of the upstream: it counts against the route, and the next candidate is tried. */
    private void attemptFailed(Attempts a, Route route, CircuitBreaker breaker, OpenAiError error) {
        a.inFlight = null;
        if (a.clientGone) {
            return;
        }
        a.walker.failed(route, breaker, error);
    }

    /**
     * Every pooled connection to the upstream stayed busy (or the wait queue was full): a local condition that says
     * nothing about the upstream's health, so it never counts against the route; another candidate may have room.
     */
    private void onPoolBusy(Attempts a, Route route, CircuitBreaker breaker) {
        if (!a.clientGone) {
            LOG.debug("request_id={} route={} upstream connections busy", a.exchange.requestId(), route.name());
        }
        a.walker.busy(breaker);
    }

    private void onResponse(Attempts a, Route route, CircuitBreaker breaker, HttpClientResponse upstream, long started) {
        a.inFlight = null;
        int status = upstream.statusCode();
        if (status >= 200 && status < 300) {
            if (route.node()) {
                breaker.success();
                health.stats(route).latency((System.nanoTime() - started) / 1e6);
                deliver(a, route, upstream, status, null);
                return;
            }
            String problem = Attempting.headProblem(a.request.stream(), upstream.getHeader(HeaderNames.CONTENT_TYPE),
                    upstream.getHeader(HttpHeaders.CONTENT_ENCODING));
            if (problem != null) {
                upstream.request().reset();
                attemptFailed(a, route, breaker, Attempting.invalidResponse(problem));
                return;
            }
            double latencyMs = (System.nanoTime() - started) / 1e6;
            if (a.request.stream()) {
                breaker.success();
                health.stats(route).latency(latencyMs);
                deliver(a, route, upstream, status, null);
            } else {
                readWhole(a, route, breaker, upstream, status, latencyMs);
            }
            return;
        }
        if (route.node()) {
            onNodeError(a, route, breaker, upstream, status);
            return;
        }
        boolean retryable = LiveAttempts.countErrorStatus(status, breaker, health, route);
        Upstream from = route.upstream();
        a.inFlight = upstream.request();
        UpstreamBody.prefix(a.vertx, upstream, from.maxErrorBytes(), from.idleTimeoutMs()).onComplete(body -> {
            a.inFlight = null;
            if (a.clientGone) {
                return;
            }
            OpenAiError error = upstreamErrors.map(status, body.succeeded() ? body.result().getBytes() : new byte[0]);
            if (retryable) {
                a.walker.retry(error);
            } else {
                answerError(a, error);
            }
        });
    }

    /**
     * A node's clear error. Its body is the node's own, content-free error, so it reaches an e2ee client as it is (its
     * SDK maps the codes); a rotated key (421) triggers re-attestation, and in tee mode the attempt moves on.
     */
    private void onNodeError(Attempts a, Route route, CircuitBreaker breaker, HttpClientResponse upstream, int status) {
        if (status == 421) {
            nodes.reattest(route.upstream().name());
            breaker.release();
        } else if (status == 429 || status >= 500) {
            breaker.failure();
            health.stats(route).failure();
        } else {
            breaker.success();
        }
        Upstream from = route.upstream();
        a.inFlight = upstream.request();
        UpstreamBody.prefix(a.vertx, upstream, from.maxErrorBytes(), from.idleTimeoutMs()).onComplete(body -> {
            a.inFlight = null;
            if (a.clientGone) {
                return;
            }
            // A cut error body is not valid JSON any more: the client then gets Veil's own error.
            byte[] bytes = body.succeeded() && body.result().length() < from.maxErrorBytes()
                    ? body.result().getBytes() : new byte[0];
            if (!a.e2ee && (status == 421 || status == 429 || status >= 500)) {
                a.walker.retry(new OpenAiError(status == 421 ? 503 : 502, "The node could not serve the request ("
                        + status + "); retry shortly.", OpenAiError.UPSTREAM, null, "node_error"));
                return;
            }
            HttpServerResponse response = a.exchange.response();
            response.putHeader(HeaderNames.VEIL_ROUTE, route.name());
            meter.complete(a.exchange, status);
            Responses.json(response, status, bytes.length > 0 ? bytes : new OpenAiError(status,
                    "The node refused the request.", OpenAiError.UPSTREAM, null, "node_error").toJson());
        });
    }

    /**
     * Reads a whole answer within the upstream's size cap and idle timeout, and checks in the same pass that it is one
     * JSON object with usage counts in range; only then does it count as the route's success and go to the client.
     * Anything else is the upstream's failure, and the next candidate is tried (nothing reached the client yet).
     */
    private void readWhole(Attempts a, Route route, CircuitBreaker breaker, HttpClientResponse upstream, int status,
                           double latencyMs) {
        Upstream from = route.upstream();
        a.inFlight = upstream.request();
        UpstreamBody.whole(a.vertx, upstream, from.maxResponseBytes(), from.idleTimeoutMs(), bodies).onComplete(body -> {
            a.inFlight = null;
            if (a.clientGone) {
                return;
            }
            if (body.failed() && body.cause() instanceof MemoryBudget.Exhausted) {
                // The gateway's own shortage, not necessarily this upstream's doing (another answer may hold the
                // budget): no route is blamed. What this answer held is released, so the next candidate may fit;
                // when none does, the client gets 503 gateway_busy with Retry-After.
                breaker.release();
                LOG.debug("request_id={} route={} answer dropped: memory budget spent", a.exchange.requestId(),
                        route.name());
                a.walker.retry(GatewayBusy.error());
                return;
            }
            if (body.failed()) {
                LOG.debug("request_id={} route={} answer unreadable: {}", a.exchange.requestId(), route.name(),
                        body.cause().getClass().getSimpleName());
                attemptFailed(a, route, breaker, Attempting.connectionError(body.cause()));
                return;
            }
            Buffer bytes = body.result();
            byte[] raw = bytes.getBytes();
            Usage usage;
            try {
                usage = usageReader.readChecked(raw, 0, raw.length, a.translating
                        ? Endpoint.CHAT_COMPLETIONS.usage() : a.request.endpoint().usage());
            } catch (UsageReader.Malformed e) {
                LOG.debug("request_id={} route={} malformed answer: {}", a.exchange.requestId(), route.name(),
                        e.getMessage());
                attemptFailed(a, route, breaker, Attempting.invalidResponse(e.getMessage()));
                return;
            }
            breaker.success();
            health.stats(route).latency(latencyMs);
            // Without usage in the answer, Veil counts it (on the worker pool) before the answer goes out, so that the
            // receipt can say the counts are estimated.
            usageEstimator.whole(a.vertx, usage, a.clientBody, raw, route.tokenizer())
                    .otherwise(failure -> Usage.estimated(0, 0))
                    .onComplete(counted -> {
                        if (a.clientGone) {
                            return;
                        }
                        a.exchange.usage(counted.result());
                        deliver(a, route, upstream, status, a.translating
                                ? Buffer.buffer(ResponsesToChat.response(raw, route.modelId(), tokenCounts(counted.result()))) : bytes);
                    });
        });
    }

    /** Delivers a 2xx answer; {@code whole} is the already read and checked body of a non-stream answer. */
    private void deliver(Attempts a, Route route, HttpClientResponse upstream, int status, Buffer whole) {
        a.delivering = true;
        Exchange exchange = a.exchange;
        HttpServerResponse response = exchange.response();
        // add, not put: these are not set yet, and put first searches for an existing value (measured).
        response.headers().add(HeaderNames.VEIL_ROUTE, route.name())
                .add(HeaderNames.VEIL_MODE, route.mode().wireName());
        PrivacyReceipt.Issued receipt = receipts.issue(exchange, route, a.clientBody, a.e2ee, !route.node() ? null
                : a.sealedFor != null ? a.sealedFor : nodes.verified(route.upstream().name()).orElse(null));
        if (!route.node() || a.e2ee || a.request.stream()) {
            // A whole answer's counts are known here (a tee node's once its own receipt verified: NodeRelay signs
            // that one); a stream's go into its closing receipt, an e2ee answer's are in the node's receipt.
            receipt.addHeaders(response.headers(), whole != null ? exchange.usage() : null);
        }
        String contentType = upstream.getHeader("content-type");
        if (route.node()) {
            if (a.e2ee) {
                response.putHeader(HeaderNames.VEIL_MODE, "e2ee");
                nodeRelay.passThrough(exchange, route, upstream);
            } else {
                nodeRelay.open(exchange, route, a.sealed, a.sealedFor, upstream, a.request.stream(), receipt);
            }
            return;
        }
        if (whole == null) {
            relayStream(exchange, a.request, route, upstream, receipt, a.clientBody, a.translating);
        } else {
            meter.complete(exchange, status);
            if (!response.closed() && !response.ended()) {
                // The answer names the model the client asked for, not the route's upstream name.
                byte[] renamed = ModelNames.renaming(route.modelId(), route.upstreamModel());
                response.setStatusCode(status)
                        .putHeader(HeaderNames.CONTENT_TYPE, contentType == null || a.translating
                                ? HeaderNames.APPLICATION_JSON : contentType)
                        .end(renamed == null ? whole : Buffer.buffer(ModelNames.replace(whole.getBytes(), renamed)));
            }
        }
    }

    /** One streamed answer's state, so that whichever way it ends (done, failure, timeout, cap) it ends once. */
    private static final class StreamState {
        boolean over;
        IdleWatch watch;
        /** The send-timeout timer while the client's write queue is full; -1 when none. */
        long drainTimer = -1;

        /** The client left: a pending send timeout would only keep this exchange in memory until it fired. */
        void cancelDrainTimer() {
            if (drainTimer >= 0) {
                Vertx.currentContext().owner().cancelTimer(drainTimer);
                drainTimer = -1;
            }
        }
    }

    /**
     * @param requestBody the client's body, counted on the worker pool if the upstream reports no usage (the relay
     *                    holds it for retries anyway)
     */
    private void relayStream(Exchange exchange, InferenceRequest request, Route route, HttpClientResponse upstream,
                             PrivacyReceipt.Issued receipt, byte[] requestBody, boolean translating) {
        HttpServerResponse response = exchange.response();
        Upstream from = route.upstream();
        CompletionCounter completion = usageEstimator.completionCounter(route.tokenizer());
        // A translated stream is read as the chat stream it is (its usage chunk kept back), then rewritten as events.
        Endpoint upstreamSpeaks = translating ? Endpoint.CHAT_COMPLETIONS : request.endpoint();
        SseUsageFilter filter = new SseUsageFilter(usageReader, !translating && request.clientWantsUsage(),
                from.maxEventBytes(), completion, upstreamSpeaks.streaming(), upstreamSpeaks.usage())
                .renaming(ModelNames.renaming(route.modelId(), route.upstreamModel()));
        ChatToResponsesStream translator = translating ? new ChatToResponsesStream(route.modelId()) : null;
        Counted counted = new Counted(Vertx.currentContext().owner(), exchange, filter, requestBody, route, translator);
        StreamState state = new StreamState();
        IdleWatch watch = state.watch = IdleWatch.start(Vertx.currentContext().owner(), from.idleTimeoutMs(), () -> {
            if (!state.over) {
                LOG.debug("request_id={} upstream stream went silent", exchange.requestId());
                failStream(exchange, route, counted, state, 504, "The upstream went silent mid-stream past its idle "
                        + "timeout; the response is incomplete.", "upstream_timeout");
                upstream.request().reset();
            }
        });
        response.closeHandler(v -> {
            state.cancelDrainTimer();
            if (!response.ended() && !state.over) {
                // The client left mid-stream: bill what was generated so far, then stop the generation.
                state.over = true;
                watch.stop();
                upstream.request().reset();
                counted.usage().onComplete(u -> meter.complete(exchange, Exchange.CLIENT_CLOSED));
            }
        });
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache");
        upstream.handler(chunk -> {
            if (state.over) {
                return;
            }
            watch.touch();
            exchange.firstToken();
            Buffer out = filter.accept(chunk);
            if (translator != null && out.length() > 0) {
                out = Buffer.buffer(translator.accept(out.getBytes()));
            }
            if (out.length() > 0 && !response.closed()) {
                response.write(out);
                long held = SlowClient.holdIfFull(Vertx.currentContext().owner(), exchange, response, upstream, watch,
                        sendTimeoutMs, () -> state.drainTimer = -1);
                if (held >= 0) {
                    state.drainTimer = held;
                }
            }
            if (filter.tooLarge()) {
                failStream(exchange, route, counted, state, 502, "An event of the upstream's stream exceeded the "
                        + "gateway's size limit for one event; the response is incomplete.", "upstream_event_too_large");
                upstream.request().reset();
            }
        });
        upstream.exceptionHandler(failure -> {
            LOG.debug("request_id={} upstream stream failed: {}", exchange.requestId(), failure.getClass().getSimpleName());
            boolean timeout = failure instanceof TimeoutException;
            failStream(exchange, route, counted, state, timeout ? 504 : 502,
                    "The upstream connection failed mid-stream; the response is incomplete.",
                    timeout ? "upstream_timeout" : "upstream_stream_interrupted");
        });
        upstream.endHandler(v -> {
            if (state.over) {
                return;
            }
            state.over = true;
            watch.stop();
            Buffer rest = filter.finish();
            if (translator != null) {
                rest = Buffer.buffer(translator.accept(rest.getBytes()));
            }
            if (rest.length() > 0 && !response.closed()) {
                response.write(rest);
            }
            if (!filter.sawDone()) {
                endStreamWithError(exchange, counted.nextSequence(), "The upstream ended the stream early; the response "
                        + "is incomplete.", "upstream_stream_truncated");
                counted.usage().onComplete(u -> meter.complete(exchange, 502));
                return;
            }
            // Usage the upstream reported is at hand and this completes at once; Veil's own count of the prompt
            // takes a trip to the worker pool, and the end of the stream waits for it.
            counted.usage().onComplete(done -> {
                Usage usage = done.result();
                recordThroughput(exchange, route, usage);
                meter.complete(exchange, 200);
                if (response.closed() || response.ended()) {
                    return;
                }
                if (translator != null) {
                    // The closing events of the translated stream, with the usage now known.
                    response.write(Buffer.buffer(translator.finish(tokenCounts(usage))));
                }
                if (filter.heldDone()) {
                    // The client asked for usage and the upstream sent none: Veil's chunk, then the [DONE] held back.
                    response.write(Buffer.buffer(usageChunk.event(completion.identity(), exchange.requestId(),
                            request.endpoint() == Endpoint.CHAT_COMPLETIONS, route.modelId(), usage.promptTokens(),
                            usage.completionTokens(), usage.estimated())));
                    response.write(Buffer.buffer(UsageChunk.done()));
                }
                // The receipt comes last, as an SSE comment that clients ignore unless they look for it.
                response.end(receipt.closingComment(usage));
            });
        });
    }

    /**
     * A stream's usage, settled once whichever way the stream ends: the upstream's, or Veil's own count (the
     * completion counted so far, the prompt on the worker pool). Confined to the stream's event loop.
     */
    private final class Counted {
        private final Vertx vertx;
        private final Exchange exchange;
        final SseUsageFilter filter;
        private final byte[] requestBody;
        private final Route route;
        private final ChatToResponsesStream translator;
        private Future<Usage> settled;

        Counted(Vertx vertx, Exchange exchange, SseUsageFilter filter, byte[] requestBody, Route route,
                ChatToResponsesStream translator) {
            this.vertx = vertx;
            this.exchange = exchange;
            this.filter = filter;
            this.requestBody = requestBody;
            this.route = route;
            this.translator = translator;
        }

        /** The sequence number of the next event the client gets (for a typed-event stream's error event). */
        long nextSequence() {
            return translator != null ? translator.sequence() : filter.dataEvents();
        }

        /** The usage to bill, set on the exchange before the future completes; it never fails. */
        Future<Usage> usage() {
            if (settled == null) {
                Usage reported = filter.usage();
                long completion = reported != null ? 0 : filter.completion().tokens();
                settled = usageEstimator.stream(vertx, reported, requestBody, route.tokenizer(), completion)
                        .otherwise(failure -> Usage.estimated(0, completion))
                        .map(u -> {
                            exchange.usage(u);
                            return u;
                        });
            }
            return settled;
        }
    }

    /**
     * Ends a stream the upstream broke (failure, silence, an oversized event): bills what was generated, counts it
     * against the route, and ends the client's stream with an error event. The caller resets the upstream when needed.
     */
    private void failStream(Exchange exchange, Route route, Counted counted, StreamState state, int meteredStatus,
                            String message, String code) {
        if (state.over) {
            return;
        }
        state.over = true;
        state.watch.stop();
        health.breaker(route).failure();
        health.stats(route).failure();
        endStreamWithError(exchange, counted.nextSequence(), message, code);
        counted.usage().onComplete(u -> meter.complete(exchange, meteredStatus));
    }

    private void recordThroughput(Exchange exchange, Route route, Usage usage) {
        long ttft = exchange.timeToFirstTokenNanos();
        long generating = System.nanoTime() - exchange.startNanos() - Math.max(0, ttft);
        if (usage.completionTokens() > 0 && generating > TimeUnit.MILLISECONDS.toNanos(1)) {
            health.stats(route).throughput(usage.completionTokens() / (generating / 1e9));
        }
    }

    /** Ends a stream with an error event in the shape of its endpoint's streams. */
    private static void endStreamWithError(Exchange exchange, long nextSequence, String message, String code) {
        HttpServerResponse response = exchange.response();
        if (response.closed() || response.ended()) {
            return;
        }
        OpenAiError error = new OpenAiError("upstream_timeout".equals(code) ? 504 : 502, message, OpenAiError.UPSTREAM,
                null, code);
        Endpoint endpoint = Endpoint.byLabel(exchange.endpoint());
        if (endpoint != null && endpoint.errors() == Endpoint.ErrorShape.OPENAI_RESPONSES) {
            // The Responses API's own error event; sequence numbers count events from 0, so the next is the count.
            response.end(Buffer.buffer(error.toResponsesStreamEvent(nextSequence)));
            return;
        }
        response.end(Buffer.buffer("data: ").appendBytes(error.toJson()).appendString("\n\n"));
    }

    private void answerError(Attempts a, OpenAiError error) {
        if (a.errorHead(meter, error)) {
            Responses.error(a.exchange.response(), error);
        }
    }

    private static dev.veil.protocol.translate.TokenCounts tokenCounts(Usage usage) {
        return new dev.veil.protocol.translate.TokenCounts(usage.promptTokens(), usage.completionTokens());
    }
}
