package dev.veil.gateway.anthropic;

import dev.veil.protocol.sse.SseEvents;
import dev.veil.protocol.AnthropicErrors;
import dev.veil.protocol.translate.ChatStreamToMessages;
import dev.veil.protocol.translate.MessagesTranslation;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.config.RoutingConfig;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.http.Exchange;
import dev.veil.gateway.http.GatewayBusy;
import dev.veil.gateway.http.HeaderNames;
import dev.veil.gateway.metering.PrivacyReceipt;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.RequestRewriter;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageEstimator;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.gateway.relay.Attempting;
import dev.veil.gateway.relay.IdleWatch;
import dev.veil.gateway.relay.UpstreamBody;
import dev.veil.gateway.relay.UpstreamClients;
import dev.veil.gateway.relay.UpstreamErrors;
import dev.veil.gateway.routing.CircuitBreaker;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.gateway.routing.Upstream;
import dev.veil.http.MemoryBudget;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.openai.ModelNames;
import dev.veil.tokens.CompletionCounter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays an accepted {@code /v1/messages} request to its candidate routes: natively to upstreams that speak the
 * Messages API ({@code apis} with {@code messages}: the body rewritten field by field, Veil's credential as {@code x-api-key} with
 * {@code anthropic-version}), and through {@link MessagesTranslation} to OpenAI-compatible ones. Retries and
 * fallbacks follow the chat relay's rules (connect errors, timeouts, 429, 5xx and 529 before anything reached the
 * client; breakers; backoff); each exchange is metered once. Streams pass event by event with backpressure; a stream
 * that ends before {@code message_stop} (or, translated, before {@code [DONE]}) ends with an {@code error} event.
 * Nothing here logs content: failures are logged by exception class only.
 */
public final class MessagesRelay {

    private static final Logger LOG = LoggerFactory.getLogger(MessagesRelay.class);
    private static final String EVENT_STREAM = "text/event-stream";
    /** The Messages API version Veil sends when the client's is not at hand (it always is on the live path). */
    public static final String DEFAULT_VERSION = "2023-06-01";

    private final UpstreamClients clients;
    private final RequestMeter meter;
    private final RequestRewriter rewriter;
    private final RouteHealth health;
    private final RoutingConfig routing;
    private final PrivacyReceipt receipts;
    private final UsageReader usageReader;
    private final UsageEstimator usageEstimator;
    private final UpstreamErrors upstreamErrors;
    private final List<String> forwardHeaders;
    private final long sendTimeoutMs;
    private final MemoryBudget bodies;

    /** The relay's collaborators (the chat relay's, without nodes). */
    public record Parts(UpstreamClients clients, JsonFactory json, RequestMeter meter, RequestRewriter rewriter,
                        RouteHealth health, RoutingConfig routing, PrivacyReceipt receipts, List<String> forwardHeaders,
                        long sendTimeoutMs, MemoryBudget bodies) {
    }

    public MessagesRelay(Parts parts) {
        this.clients = parts.clients();
        this.meter = parts.meter();
        this.rewriter = parts.rewriter();
        this.health = parts.health();
        this.routing = parts.routing();
        this.receipts = parts.receipts();
        this.usageReader = new UsageReader(parts.json());
        this.usageEstimator = new UsageEstimator(parts.json());
        this.upstreamErrors = new UpstreamErrors(parts.json());
        this.forwardHeaders = List.copyOf(parts.forwardHeaders());
        this.sendTimeoutMs = parts.sendTimeoutMs();
        this.bodies = parts.bodies();
    }

    /** One request's walk through its candidates. Confined to the request's event loop. */
    private static final class Attempts extends dev.veil.gateway.relay.LiveAttempts {
        final InferenceRequest request;
        final List<Route> candidates;
        final byte[] clientBody;
        /** The chat body for OpenAI-compatible candidates (model set per route), or {@code null} when none. */
        final ObjectNode chatBody;
        final String messageId;

        Attempts(Exchange exchange, InferenceRequest request, List<Route> candidates, byte[] clientBody,
                 ObjectNode chatBody, Vertx vertx) {
            super(exchange, vertx);
            this.request = request;
            this.candidates = candidates;
            this.clientBody = clientBody;
            this.chatBody = chatBody;
            this.messageId = "msg_" + Long.toHexString(ThreadLocalRandom.current().nextLong())
                    + Long.toHexString(ThreadLocalRandom.current().nextLong());
        }
    }

    /**
     * Relays to the first candidate that answers.
     *
     * @param candidates compliant routes, best first (never empty)
     * @param clientBody the client's Messages body
     * @param chatBody   its chat translation when some candidate speaks only the OpenAI API, else {@code null}
     */
    public void relay(Exchange exchange, InferenceRequest request, List<Route> candidates, byte[] clientBody,
                      ObjectNode chatBody) {
        Attempts a = new Attempts(exchange, request, candidates, clientBody, chatBody, Vertx.currentContext().owner());
        a.walk(meter, routing, health, candidates, (route, breaker) -> send(a, route, breaker),
                error -> answerError(a, error));
    }

    private void send(Attempts a, Route route, CircuitBreaker breaker) {
        a.exchange.route(route);
        a.inFlightBreaker = breaker;
        Upstream upstream = route.upstream();
        CharSequence accept = a.request.stream() ? EVENT_STREAM : HeaderNames.APPLICATION_JSON;
        RequestOptions options;
        byte[] body;
        if (upstream.speaks(Endpoint.API_MESSAGES)) {
            options = Attempting.post(upstream, Endpoint.MESSAGES.upstreamPath(), accept);
            // Anthropic's credential header; the client's own key and version never leave.
            options.removeHeader(HeaderNames.AUTHORIZATION);
            upstream.bearerToken().ifPresent(token -> options.putHeader("x-api-key", token));
            // The client's version (one MessagesApi accepted, a public constant): the upstream reads the body by it.
            String version = a.exchange.request().getHeader("anthropic-version");
            options.putHeader("anthropic-version", version == null ? DEFAULT_VERSION : version.trim());
            body = rewriter.rewrite(a.clientBody, a.request, route.upstreamModel(), route.forwarding(), false);
        } else {
            options = Attempting.post(upstream, Endpoint.CHAT_COMPLETIONS.upstreamPath(), accept);
            ObjectNode chat = a.chatBody.deepCopy();
            chat.put("model", route.upstreamModel());
            body = MessagesTranslation.bytes(chat);
        }
        for (String name : forwardHeaders) {
            String value = a.exchange.request().getHeader(name);
            if (value != null) {
                options.putHeader(name, value);
            }
        }
        Attempting.signForNode(upstream, options, body);
        long started = System.nanoTime();
        clients.get(upstream.name()).request(options).onComplete(created -> {
            if (created.failed()) {
                if (Attempting.poolBusy(created.cause())) {
                    // A local wait, not the upstream's fault; the walk stops by itself when the client left.
                    a.walker.busy(breaker);
                } else {
                    failed(a, route, breaker, Attempting.connectionError(created.cause()), created.cause());
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
                    failed(a, route, breaker, Attempting.connectionError(sent.cause()), sent.cause());
                } else {
                    onResponse(a, route, breaker, sent.result(), started);
                }
            });
        });
    }

    /** The attempt failed because of the upstream: it counts against the route, and the next candidate is tried. */
    private void failed(Attempts a, Route route, CircuitBreaker breaker, OpenAiError error, Throwable cause) {
        a.inFlight = null;
        if (a.clientGone) {
            return;
        }
        if (cause != null) {
            LOG.debug("request_id={} route={} attempt failed: {}", a.exchange.requestId(), route.name(),
                    cause.getClass().getSimpleName());
        }
        a.walker.failed(route, breaker, error);
    }

    private void onResponse(Attempts a, Route route, CircuitBreaker breaker, HttpClientResponse upstream, long started) {
        a.inFlight = null;
        int status = upstream.statusCode();
        Upstream from = route.upstream();
        if (status >= 200 && status < 300) {
            String problem = Attempting.headProblem(a.request.stream(), upstream.getHeader(HeaderNames.CONTENT_TYPE),
                    upstream.getHeader(HttpHeaders.CONTENT_ENCODING));
            if (problem != null) {
                upstream.request().reset();
                failed(a, route, breaker, Attempting.invalidResponse(problem), null);
                return;
            }
            double latencyMs = (System.nanoTime() - started) / 1e6;
            if (a.request.stream()) {
                breaker.success();
                health.stats(route).latency(latencyMs);
                stream(a, route, upstream);
            } else {
                whole(a, route, breaker, upstream, latencyMs);
            }
            return;
        }
        boolean retryable = dev.veil.gateway.relay.LiveAttempts.countErrorStatus(status, breaker, health, route);
        a.inFlight = upstream.request();
        UpstreamBody.prefix(a.vertx, upstream, from.maxErrorBytes(), from.idleTimeoutMs()).onComplete(body -> {
            a.inFlight = null;
            if (a.clientGone) {
                return;
            }
            OpenAiError error = status == 529
                    ? new OpenAiError(529, "The upstream provider is overloaded; retry shortly.", OpenAiError.UPSTREAM,
                            null, "upstream_overloaded")
                    : upstreamErrors.map(status, body.succeeded() ? body.result().getBytes() : new byte[0]);
            if (retryable) {
                a.walker.retry(error);
            } else {
                answerError(a, error);
            }
        });
    }

    /** Reads and checks a whole answer, then answers it in the Messages shape. */
    private void whole(Attempts a, Route route, CircuitBreaker breaker, HttpClientResponse upstream, double latencyMs) {
        Upstream from = route.upstream();
        a.inFlight = upstream.request();
        UpstreamBody.whole(a.vertx, upstream, from.maxResponseBytes(), from.idleTimeoutMs(), bodies).onComplete(read -> {
            a.inFlight = null;
            if (a.clientGone) {
                return;
            }
            if (read.failed() && read.cause() instanceof MemoryBudget.Exhausted) {
                breaker.release();
                a.walker.retry(GatewayBusy.error());
                return;
            }
            if (read.failed()) {
                failed(a, route, breaker, Attempting.connectionError(read.cause()), read.cause());
                return;
            }
            byte[] raw = read.result().getBytes();
            Usage reported;
            try {
                reported = from.speaks(Endpoint.API_MESSAGES) ? anthropicUsage(raw) : usageReader.readChecked(raw, 0, raw.length);
            } catch (UsageReader.Malformed e) {
                LOG.debug("request_id={} route={} malformed answer: {}", a.exchange.requestId(), route.name(),
                        e.getMessage());
                failed(a, route, breaker, Attempting.invalidResponse(e.getMessage()), null);
                return;
            }
            Future<Usage> usage = reported != null ? Future.succeededFuture(reported)
                    : (from.speaks(Endpoint.API_MESSAGES) ? a.vertx.executeBlocking(() -> Usage.estimated(
                            usageEstimator.count(a.clientBody, null, route.tokenizer()).promptTokens(),
                            nativeTextTokens(raw, route)), false)
                            : usageEstimator.whole(a.vertx, null, a.clientBody, raw, route.tokenizer()))
                            .otherwise(failure -> Usage.estimated(0, 0));
            usage.onComplete(counted -> {
                if (a.clientGone) {
                    return;
                }
                Usage u = counted.result();
                byte[] answer;
                try {
                    answer = from.speaks(Endpoint.API_MESSAGES) ? renamed(raw, route)
                            : MessagesTranslation.response(raw, route.modelId(), a.messageId, u.promptTokens(),
                                    u.completionTokens());
                } catch (MessagesTranslation.MalformedAnswer e) {
                    failed(a, route, breaker, Attempting.invalidResponse(e.getMessage()), null);
                    return;
                }
                breaker.success();
                health.stats(route).latency(latencyMs);
                a.exchange.usage(u);
                a.delivering = true;
                HttpServerResponse response = a.exchange.response();
                response.headers().add(HeaderNames.VEIL_ROUTE, route.name()).add(HeaderNames.VEIL_MODE, route.mode().wireName());
                receipts.issue(a.exchange, route, a.clientBody, false, null).addHeaders(response.headers(), u);
                meter.complete(a.exchange, 200);
                if (!response.closed() && !response.ended()) {
                    response.setStatusCode(200).putHeader(HeaderNames.CONTENT_TYPE, HeaderNames.APPLICATION_JSON)
                            .end(Buffer.buffer(answer));
                }
            });
        });
    }

    /** Veil's count of the text blocks of a whole Messages answer (for one without usage); off the event loop. */
    private static long nativeTextTokens(byte[] raw, Route route) throws IOException {
        long tokens = 0;
        for (JsonNode block : MessagesTranslation.MAPPER.readTree(raw).path("content")) {
            if (block.path("text").isTextual()) {
                tokens += route.tokenizer().count(block.get("text").asText());
            }
        }
        return tokens;
    }

    private static byte[] renamed(byte[] raw, Route route) {
        byte[] renaming = ModelNames.renaming(route.modelId(), route.upstreamModel());
        return renaming == null ? raw : ModelNames.replace(raw, renaming);
    }

    /**
     * The usage of a whole Messages answer, checking that it is one JSON object; {@code null} when it has none.
     * Cache reads and writes count as prompt tokens (they are input the provider processed).
     */
    static Usage anthropicUsage(byte[] raw) throws UsageReader.Malformed {
        JsonNode answer;
        try {
            answer = MessagesTranslation.MAPPER.readTree(raw);
        } catch (IOException e) {
            throw new UsageReader.Malformed("invalid JSON");
        }
        if (answer == null || !answer.isObject()) {
            throw new UsageReader.Malformed("not a JSON object");
        }
        JsonNode usage = answer.path("usage");
        return usage.isObject() ? usageOf(usage, -1, -1) : null;
    }

    /** The names of the Messages API's token counts, from its endpoint description. */
    private static final Endpoint.UsageFields COUNTS = Endpoint.MESSAGES.usage();

    /** Usage from an Anthropic {@code usage} object, falling back to the counts known so far; {@code null} when none. */
    static Usage usageOf(JsonNode usage, long knownInput, long knownOutput) throws UsageReader.Malformed {
        // Anthropic reports cached input apart from input_tokens; all of it was read by the model.
        long input = usage.has(COUNTS.input()) ? count(usage.get(COUNTS.input()))
                + count(usage.path("cache_creation_input_tokens")) + count(usage.path("cache_read_input_tokens"))
                : knownInput;
        long output = usage.has(COUNTS.output()) ? count(usage.get(COUNTS.output())) : knownOutput;
        if (input < 0 && output < 0) {
            return null;
        }
        if (input > Usage.MAX_TOKENS || output > Usage.MAX_TOKENS) {
            throw new UsageReader.Malformed("usage counts out of range");
        }
        return new Usage(Math.max(0, input), Math.max(0, output), Math.max(0, input) + Math.max(0, output));
    }

    private static long count(JsonNode value) throws UsageReader.Malformed {
        if (value == null || value.isMissingNode() || value.isNull()) {
            return 0;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 0) {
            throw new UsageReader.Malformed("usage counts out of range");
        }
        return value.asLong();
    }

    /** One streamed answer's state, so that whichever way it ends it ends once. */
    private static final class StreamState {
        boolean over;
        IdleWatch watch;
        long drainTimer = -1;
        /** Native: the usage seen in message_start and message_delta; translated: in the usage chunk. */
        long input = -1;
        long output = -1;
        boolean sawStop;
        CompletionCounter completion;
        long nativeTextTokens;
        Future<Usage> settled;
    }

    private void stream(Attempts a, Route route, HttpClientResponse upstream) {
        a.delivering = true;
        Exchange exchange = a.exchange;
        HttpServerResponse response = exchange.response();
        Upstream from = route.upstream();
        PrivacyReceipt.Issued receipt = receipts.issue(exchange, route, a.clientBody, false, null);
        response.headers().add(HeaderNames.VEIL_ROUTE, route.name()).add(HeaderNames.VEIL_MODE, route.mode().wireName());
        receipt.addHeaders(response.headers(), null);
        SseEvents events = new SseEvents(from.maxEventBytes());
        ChatStreamToMessages translation = from.speaks(Endpoint.API_MESSAGES) ? null : new ChatStreamToMessages(route.modelId(), a.messageId);
        StreamState state = new StreamState();
        state.completion = usageEstimator.completionCounter(route.tokenizer());
        byte[] renaming = ModelNames.renaming(route.modelId(), route.upstreamModel());
        state.watch = IdleWatch.start(a.vertx, from.idleTimeoutMs(), () -> {
            if (!state.over) {
                LOG.debug("request_id={} upstream stream went silent", exchange.requestId());
                failStream(a, route, state, 504, "The upstream went silent mid-stream past its idle timeout; the "
                        + "response is incomplete.", "upstream_timeout");
                upstream.request().reset();
            }
        });
        response.closeHandler(v -> {
            if (state.drainTimer >= 0) {
                a.vertx.cancelTimer(state.drainTimer);
                state.drainTimer = -1;
            }
            if (!response.ended() && !state.over) {
                state.over = true;
                state.watch.stop();
                upstream.request().reset();
                usage(a, route, state).onComplete(u -> meter.complete(exchange, Exchange.CLIENT_CLOSED));
            }
        });
        response.setStatusCode(200).setChunked(true)
                .putHeader(HeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache");
        upstream.handler(chunk -> {
            if (state.over) {
                return;
            }
            state.watch.touch();
            exchange.firstToken();
            Buffer out = Buffer.buffer();
            for (SseEvents.Event event : events.acceptParsed(chunk.getBytes())) {
                try {
                    if (translation != null) {
                        out.appendBytes(translation.accept(event.data()));
                        if (!translation.done()) {
                            // A chat chunk (translation.accept checked that it is JSON): its text, counted for the
                            // estimate Veil bills if the upstream reports no usage.
                            byte[] data = event.data().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                            state.completion.accept(data, 0, data.length);
                        }
                        if (translation.promptTokens() >= 0) {
                            state.input = translation.promptTokens();
                            state.output = translation.completionTokens();
                        }
                    } else {
                        byte[] passed = nativeEvent(event, state, route, renaming);
                        if (passed == null) {
                            // The upstream's own error event: Veil's words, the upstream's type.
                            out.appendBytes(AnthropicErrors.event(502, "The upstream provider failed mid-stream; the "
                                    + "response is incomplete.", "upstream_stream_error"));
                            write(a, response, upstream, state, out);
                            failStream(a, route, state, 502, null, null);
                            upstream.request().reset();
                            return;
                        }
                        out.appendBytes(passed);
                    }
                } catch (MessagesTranslation.MalformedAnswer | UsageReader.Malformed e) {
                    write(a, response, upstream, state, out);
                    failStream(a, route, state, 502, "The upstream provider sent a malformed stream event; the "
                            + "response is incomplete.", "upstream_invalid_response");
                    upstream.request().reset();
                    return;
                }
            }
            write(a, response, upstream, state, out);
            if (events.tooLarge()) {
                failStream(a, route, state, 502, "An event of the upstream's stream exceeded the gateway's size limit "
                        + "for one event; the response is incomplete.", "upstream_event_too_large");
                upstream.request().reset();
            }
        });
        upstream.exceptionHandler(failure -> {
            LOG.debug("request_id={} upstream stream failed: {}", exchange.requestId(), failure.getClass().getSimpleName());
            boolean timeout = failure instanceof TimeoutException;
            failStream(a, route, state, timeout ? 504 : 502, "The upstream connection failed mid-stream; the response "
                    + "is incomplete.", timeout ? "upstream_timeout" : "upstream_stream_interrupted");
        });
        upstream.endHandler(v -> {
            if (state.over) {
                return;
            }
            boolean complete = translation != null ? translation.done() : state.sawStop;
            if (!complete || events.partial()) {
                failStream(a, route, state, 502, "The upstream ended the stream before "
                        + (translation != null ? "its end" : "message_stop") + "; the response is incomplete.",
                        "upstream_stream_truncated");
                return;
            }
            state.over = true;
            state.watch.stop();
            usage(a, route, state).onComplete(done -> {
                Usage u = done.result();
                meter.complete(exchange, 200);
                if (response.closed() || response.ended()) {
                    return;
                }
                if (translation != null) {
                    response.write(Buffer.buffer(translation.finish(u.promptTokens(), u.completionTokens())));
                }
                // The receipt last, as an SSE comment that clients ignore unless they look for it.
                response.end(receipt.closingComment(u));
            });
        });
    }

    /**
     * One event of a native Messages stream: its usage noted, {@code message_start}'s model renamed, everything else
     * (unknown event types included, as Anthropic asks clients to ignore them) passed as it came. {@code null} for the
     * upstream's {@code error} event.
     */
    private byte[] nativeEvent(SseEvents.Event event, StreamState state, Route route, byte[] renaming)
            throws UsageReader.Malformed {
        String type = event.name();
        if ("error".equals(type)) {
            return null;
        }
        if ("message_start".equals(type) || "message_delta".equals(type) || "message_stop".equals(type)
                || "content_block_delta".equals(type)) {
            JsonNode data;
            try {
                data = MessagesTranslation.MAPPER.readTree(event.data());
            } catch (IOException e) {
                throw new UsageReader.Malformed("a stream event that is not JSON");
            }
            if (data == null || !data.isObject()) {
                throw new UsageReader.Malformed("a stream event that is not a JSON object");
            }
            switch (type) {
                case "message_start" -> {
                    JsonNode message = data.path("message");
                    Usage u = usageOf(message.path("usage"), state.input, state.output);
                    if (u != null) {
                        state.input = u.promptTokens();
                        state.output = u.completionTokens();
                    }
                    if (renaming != null && message.isObject()) {
                        ((ObjectNode) message).put("model", route.modelId());
                        return ("event: message_start\ndata: " + new String(MessagesTranslation.bytes(data),
                                java.nio.charset.StandardCharsets.UTF_8) + "\n\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    }
                }
                case "message_delta" -> {
                    // Counts in message_delta are cumulative.
                    Usage u = usageOf(data.path("usage"), state.input, state.output);
                    if (u != null) {
                        state.input = u.promptTokens();
                        state.output = u.completionTokens();
                    }
                }
                case "message_stop" -> state.sawStop = true;
                default -> {
                    JsonNode text = data.path("delta").path("text");
                    if (text.isTextual()) {
                        state.nativeTextTokens += route.tokenizer().count(text.asText());
                    }
                }
            }
        }
        return event.raw();
    }

    private void write(Attempts a, HttpServerResponse response, HttpClientResponse upstream, StreamState state, Buffer out) {
        if (out.length() == 0 || response.closed() || response.ended()) {
            return;
        }
        response.write(out);
        long held = dev.veil.gateway.relay.SlowClient.holdIfFull(a.vertx, a.exchange, response, upstream, state.watch,
                sendTimeoutMs, () -> state.drainTimer = -1);
        if (held >= 0) {
            state.drainTimer = held;
        }
    }

    /** The stream's usage, settled once: the upstream's counts, else Veil's own (estimated). */
    private Future<Usage> usage(Attempts a, Route route, StreamState state) {
        if (state.settled == null) {
            Usage reported = state.input >= 0 && state.output >= 0
                    ? new Usage(state.input, state.output, state.input + state.output) : null;
            long completion = route.upstream().speaks(Endpoint.API_MESSAGES) ? state.nativeTextTokens : state.completion.tokens();
            state.settled = usageEstimator.stream(a.vertx, reported, a.clientBody, route.tokenizer(), completion)
                    .otherwise(failure -> Usage.estimated(0, completion))
                    .map(u -> {
                        a.exchange.usage(u);
                        return u;
                    });
        }
        return state.settled;
    }

    /**
     * Ends a stream the upstream broke: bills what was generated, counts it against the route, and ends the client's
     * stream with an {@code error} event (unless {@code message} is null: one was written already).
     */
    private void failStream(Attempts a, Route route, StreamState state, int status, String message, String code) {
        if (state.over) {
            return;
        }
        state.over = true;
        state.watch.stop();
        health.breaker(route).failure();
        health.stats(route).failure();
        HttpServerResponse response = a.exchange.response();
        if (!response.closed() && !response.ended()) {
            if (message != null) {
                response.end(Buffer.buffer(AnthropicErrors.event(status, message, code)));
            } else {
                response.end();
            }
        }
        usage(a, route, state).onComplete(u -> meter.complete(a.exchange, status));
    }

    private void answerError(Attempts a, OpenAiError error) {
        if (!a.errorHead(meter, error)) {
            return;
        }
        HttpServerResponse response = a.exchange.response();
        if (!response.ended() && !response.closed()) {
            response.setStatusCode(error.httpStatus()).putHeader(HeaderNames.CONTENT_TYPE, HeaderNames.APPLICATION_JSON)
                    .end(Buffer.buffer(AnthropicErrors.body(error)));
        }
    }
}
