package dev.veil.node;

import dev.veil.protocol.openai.ModelNames;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.AnthropicErrors;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.api.Endpoint;
import dev.veil.protocol.sse.SseEvents;
import dev.veil.protocol.e2ee.OpenedRequest;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.policy.PolicyTarget;
import dev.veil.tokens.CompletionCounter;
import dev.veil.tokens.PromptCounter;
import dev.veil.tokens.Tokenizer;
import dev.veil.tokens.UsageChunk;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a decrypted request to the local engine and seals its answer back. The engine's status travels inside the
 * sealed head, so even its 4xx/5xx answers are hidden from the gateway. Whole answers are read completely before the
 * response starts (so an engine that fails while answering still gets a clear 502); streams are sealed event by
 * event as they arrive, with backpressure, and the final usage-only event is dropped unless the client asked for it.
 * A client that leaves resets the engine request, which stops the generation. Nothing here logs content: failures
 * are logged by exception class only.
 *
 * <p>An engine that reports no usage (it ignores {@code stream_options}, or its answer has no {@code usage}) is billed
 * by the node's own count with the engine model's tokenizer ({@link Tokenizer#forModel(String)}): the generated text
 * as it passes, the prompt on the worker pool at the end; the signed receipt then says {@code usage_estimated}, and a
 * client that asked for usage gets the usage chunk before {@code [DONE]}.
 *
 * <p>Every e2ee endpoint is served: natively when the engine speaks its API ({@code engineApis}), else translated to
 * chat completions and back inside the node ({@link EngineRequest}, {@link AnswerTranslation}); usage is read where
 * the engine's endpoint puts it, and a stream that fails ends with an error event in the client endpoint's shape.
 */
final class EngineRelay {

    private static final Logger LOG = LoggerFactory.getLogger(EngineRelay.class);
    private static final String EVENT_STREAM = "text/event-stream";
    private static final long CONNECT_TIMEOUT_MS = 5_000;
    /** An engine silent this long is given up on; long enough for a big prompt's prefill. */
    static final long IDLE_TIMEOUT_MS = 10 * 60_000;
    /** The largest whole answer, or single stream event, sealed as one frame: well under the protocol's limit. */
    private static final int MAX_WHOLE_ANSWER = 32 * 1024 * 1024;
    private static final byte[] EMPTY = new byte[0];
    /** The Messages API version a native Messages engine is called with. */
    static final String ANTHROPIC_VERSION = "2023-06-01";

    private final HttpClient client;
    private final EngineAddress engine;
    private final SigningKey signingKey;
    private final ObjectMapper json;
    private final Clock clock;
    private final PromptCounter prompts;
    private final UsageChunk usageChunk;
    private final PolicyTarget node;
    private final java.util.Set<String> engineApis;

    /**
     * @param node       this node as request policies are checked against it: its declaration and evidence format
     * @param engineApis the API families the engine speaks natively
     */
    EngineRelay(HttpClient client, EngineAddress engine, SigningKey signingKey, ObjectMapper json, Clock clock,
                PolicyTarget node, java.util.Set<String> engineApis) {
        this.engineApis = java.util.Set.copyOf(engineApis);
        this.client = client;
        this.engine = engine;
        this.signingKey = signingKey;
        this.json = json;
        this.clock = clock;
        this.prompts = new PromptCounter(json.getFactory());
        this.usageChunk = new UsageChunk(json.getFactory());
        this.node = node;
    }

    /** What was opened and where it goes. */
    record Forward(String publicModel, String engineModel, boolean stream, String nodeKeyId, OpenedRequest opened,
                   Endpoint endpoint) {
    }

    /** One request's exchange with the engine. Confined to the request's event loop. */
    private static final class Call {
        final NodeExchange exchange;
        final SealedResponse sealed;
        final EngineRequest request;
        final Forward forward;
        /** How the node counts tokens when the engine reports no usage. */
        final Tokenizer tokenizer;
        /** The public model id for the answers' {@code model} in place of the engine's name; null when they agree. */
        final byte[] renamed;
        /** For a request the engine gets as chat completions: the way back to the client's endpoint. */
        final AnswerTranslation translation;
        /** Events sealed so far (the Responses API numbers its error event after them). */
        long events;
        HttpClientRequest engineRequest;
        boolean clientGone;
        boolean done;
        /** The stream ended with an error event: a translation's closing events are not sent. */
        boolean interrupted;

        Call(NodeExchange exchange, SealedResponse sealed, EngineRequest request, Forward forward) {
            this.exchange = exchange;
            this.sealed = sealed;
            this.request = request;
            this.forward = forward;
            this.tokenizer = Tokenizer.forModel(forward.engineModel());
            this.renamed = request.translated() ? null : ModelNames.renaming(forward.publicModel(), forward.engineModel());
            this.translation = request.translated() ? AnswerTranslation.of(request.client(), forward.publicModel()) : null;
        }
    }

    void relay(NodeExchange exchange, Forward forward) {
        HttpServerResponse response = exchange.response();
        OpenedRequest opened = forward.opened();
        SealedResponse sealed = new SealedResponse(response, opened.responseSealer(), signingKey,
                new SealedResponse.ReceiptFacts(forward.nodeKeyId(), forward.publicModel(), exchange.path(),
                        opened.requestHash()), clock);
        EngineRequest request;
        try {
            request = EngineRequest.prepare(json, opened.plaintext(), forward.endpoint(), engineApis,
                    forward.publicModel(), forward.engineModel(), forward.stream(), node);
        } catch (EngineRequest.Refused refused) {
            // A problem with the decrypted content, or its policy refused: answered sealed, like an engine's own 400,
            // not in clear, so the gateway learns neither the policy nor which constraint refused it.
            sealed.begin(refused.status(), Replies.JSON);
            sealed.chunk(errorBody(forward.endpoint(), refused.status(), refused.body()));
            sealed.finish(EMPTY, 0, 0);
            exchange.complete(200, refused.status());
            return;
        }
        Call call = new Call(exchange, sealed, request, forward);
        response.closeHandler(v -> {
            if (!response.ended() && !call.done) {
                call.clientGone = true;
                call.done = true;
                exchange.complete(NodeExchange.CLIENT_CLOSED);
                if (call.engineRequest != null) {
                    // Stops the generation: the engine sees its connection reset.
                    call.engineRequest.reset();
                }
            }
        });
        client.request(options(request.engine(), request.stream())).onComplete(created -> {
            if (created.failed()) {
                failedBeforeStart(call, created.cause());
                return;
            }
            HttpClientRequest engineRequest = created.result();
            if (call.clientGone) {
                engineRequest.reset();
                return;
            }
            call.engineRequest = engineRequest;
            engineRequest.send(Buffer.buffer(request.body())).onComplete(sent -> {
                if (sent.failed()) {
                    failedBeforeStart(call, sent.cause());
                } else if (!call.clientGone) {
                    onResponse(call, sent.result());
                }
            });
        });
    }

    private RequestOptions options(Endpoint endpoint, boolean stream) {
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.POST)
                .setHost(engine.host())
                .setPort(engine.port())
                .setSsl(engine.ssl())
                .setURI(engine.uriFor(endpoint.path()))
                .setConnectTimeout(CONNECT_TIMEOUT_MS)
                .setIdleTimeout(IDLE_TIMEOUT_MS)
                .putHeader("content-type", Replies.JSON)
                .putHeader("accept", stream ? EVENT_STREAM : Replies.JSON);
        if (Endpoint.API_MESSAGES.equals(endpoint.api())) {
            // The engine reads the body by the Messages API version; the node's requests are written for this one.
            options.putHeader("anthropic-version", ANTHROPIC_VERSION);
        }
        return options;
    }

    /** An error answer in the shape of the client's endpoint (Anthropic's for Messages). */
    private static byte[] errorBody(Endpoint client, int status, byte[] body) {
        return client.errors() == Endpoint.ErrorShape.ANTHROPIC ? AnthropicErrors.reshape(status, body) : body;
    }

    private void onResponse(Call call, HttpClientResponse answer) {
        int status = answer.statusCode();
        String contentType = answer.getHeader("content-type");
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith(EVENT_STREAM)) {
            relayStream(call, answer, status, contentType);
        } else {
            relayWhole(call, answer, status, contentType);
        }
    }

    private void relayWhole(Call call, HttpClientResponse answer, int status, String contentType) {
        Buffer body = Buffer.buffer();
        answer.handler(chunk -> {
            if (call.done) {
                return;
            }
            if (body.length() + chunk.length() > MAX_WHOLE_ANSWER) {
                answer.request().reset();
                failedBeforeStart(call, new IllegalStateException("engine answer too large"));
                return;
            }
            body.appendBuffer(chunk);
        });
        answer.exceptionHandler(failure -> failedBeforeStart(call, failure));
        answer.endHandler(v -> {
            if (call.done) {
                return;
            }
            call.done = true;
            byte[] bytes = body.getBytes();
            UsageCounter usage = new UsageCounter(json, false, completionCounter(call), call.request.engine());
            boolean reported = usage.readWhole(bytes);
            boolean ok = status >= 200 && status < 300;
            if (reported || !ok) {
                // An engine's error answer generated nothing to bill.
                sealWhole(call, status, contentType, bytes, usage.promptTokens(), usage.completionTokens(), false);
                return;
            }
            // No usage in the answer: the node counts prompt and answer on the worker pool (an answer may be large).
            Vertx.currentContext().owner().executeBlocking(() -> {
                CompletionCounter completion = completionCounter(call);
                completion.accept(bytes, 0, bytes.length);
                return new long[] {prompts.count(call.request.body(), call.tokenizer), completion.tokens()};
            }, false).otherwise(failure -> new long[] {0, 0}).onComplete(counted ->
                    sealWhole(call, status, contentType, bytes, counted.result()[0], counted.result()[1], true));
        });
    }

    /**
     * Seals a whole answer: the engine's, or for a translated request its translation reporting these counts (an
     * engine error in the client endpoint's shape; an answer that cannot be translated a sealed 502).
     */
    private void sealWhole(Call call, int status, String contentType, byte[] bytes, long prompt, long completion,
                           boolean estimated) {
        SealedResponse sealed = call.sealed;
        boolean ok = status >= 200 && status < 300;
        byte[] answer = bytes;
        if (!ok) {
            answer = errorBody(call.request.client(), status, bytes);
        } else if (call.translation != null) {
            try {
                answer = call.translation.whole(bytes, prompt, completion);
                contentType = call.translation.contentType();
            } catch (AnswerTranslation.Malformed e) {
                LOG.warn("request_id={} engine answer not translatable", call.exchange.requestId());
                status = 502;
                contentType = Replies.JSON;
                answer = errorBody(call.request.client(), 502, new OpenAiError(502, "The inference engine's answer "
                        + "could not be translated.", OpenAiError.UPSTREAM, null, "upstream_invalid_response").toJson());
            }
        } else if (call.renamed != null) {
            answer = ModelNames.replace(bytes, call.renamed);
        }
        sealed.begin(status, contentType);
        sealed.chunk(answer);
        sealed.finish(EMPTY, prompt, completion, estimated);
        call.exchange.complete(200, status);
    }

    private void relayStream(Call call, HttpClientResponse answer, int status, String contentType) {
        SealedResponse sealed = call.sealed;
        SseEvents events = new SseEvents(MAX_WHOLE_ANSWER);
        UsageCounter usage = new UsageCounter(json, call.request.clientWantsUsage(), completionCounter(call),
                call.request.engine());
        sealed.begin(status, contentType);
        answer.handler(data -> {
            if (call.done) {
                return;
            }
            for (byte[] event : events.accept(data.getBytes())) {
                if (usage.acceptEvent(event) && !sealEvent(call, event)) {
                    call.done = true;
                    answer.request().reset();
                    interrupt(call, usage, status, "The inference engine sent a stream event that could not be "
                            + "translated; the response is incomplete.");
                    return;
                }
            }
            if (events.tooLarge()) {
                // No event boundary in sight: not an SSE stream a client could use, and memory is not unbounded.
                call.done = true;
                answer.request().reset();
                LOG.warn("request_id={} engine stream event over {} bytes", call.exchange.requestId(), MAX_WHOLE_ANSWER);
                interrupt(call, usage, status, "The inference engine sent an event too large to relay; the response is "
                        + "incomplete.");
                return;
            }
            if (sealed.writeQueueFull()) {
                answer.pause();
                sealed.onDrain(answer::resume);
            }
        });
        answer.exceptionHandler(failure -> {
            if (call.done) {
                return;
            }
            call.done = true;
            LOG.warn("request_id={} engine stream failed: {}", call.exchange.requestId(), failure.getClass().getName());
            interrupt(call, usage, status, "The inference engine failed mid-stream; the response is incomplete.");
        });
        answer.endHandler(v -> {
            if (call.done) {
                return;
            }
            call.done = true;
            byte[] rest = events.rest();
            if (!isBlank(rest) && usage.acceptEvent(rest) && !sealEvent(call, rest)) {
                interrupt(call, usage, status, "The inference engine sent a stream event that could not be "
                        + "translated; the response is incomplete.");
                return;
            }
            if (status >= 200 && status < 300 && !usage.ended()) {
                LOG.warn("request_id={} engine stream ended before its end event", call.exchange.requestId());
                interrupt(call, usage, status, "The inference engine ended the stream early; the response is incomplete.");
                return;
            }
            finish(call, usage, EMPTY, status);
        });
    }

    /**
     * Seals one engine event, or for a translated stream the client's events it makes, one frame per event.
     *
     * @return false when the event could not be translated
     */
    private boolean sealEvent(Call call, byte[] event) {
        if (call.translation == null) {
            call.sealed.chunk(call.renamed == null ? event : ModelNames.renameEvent(event, call.renamed));
            call.events++;
            return true;
        }
        try {
            sealEvents(call, call.translation.event(event));
            return true;
        } catch (AnswerTranslation.Malformed e) {
            return false;
        }
    }

    /** Seals whole events written together (a translation's output), one frame each, as docs/e2ee.md §5 says. */
    private static void sealEvents(Call call, byte[] written) {
        if (written.length == 0) {
            return;
        }
        SseEvents split = new SseEvents(Integer.MAX_VALUE - 8);
        for (byte[] one : split.accept(written)) {
            call.sealed.chunk(one);
            call.events++;
        }
        byte[] rest = split.rest();
        if (rest.length > 0) {
            call.sealed.chunk(rest);
            call.events++;
        }
    }

    /**
     * Ends a started stream with a sealed error event (in the client endpoint's stream shape) in its final frame,
     * then the receipt.
     */
    private void interrupt(Call call, UsageCounter usage, int status, String message) {
        OpenAiError error = new OpenAiError(502, message, OpenAiError.UPSTREAM, null, "upstream_stream_interrupted");
        call.interrupted = true;
        finish(call, usage, AnthropicErrors.streamEvent(call.request.client().errors(), error, call.events), status);
    }

    /**
     * Ends a stream with the engine's counts, or, when it reported none, the node's own: the text counted as it passed
     * and the prompt counted on the worker pool (it may be as large as the request limit), signed as estimated. A
     * client that asked for usage and was held back its {@code [DONE]} gets the usage chunk and then {@code [DONE]}.
     */
    private void finish(Call call, UsageCounter usage, byte[] lastData, int status) {
        if (!usage.estimated()) {
            closeTranslation(call, usage.promptTokens(), usage.completionTokens());
            call.sealed.finish(lastData, usage.promptTokens(), usage.completionTokens());
            call.exchange.complete(200, status);
            return;
        }
        long completion = usage.completionTokens();
        Vertx.currentContext().owner().executeBlocking(() -> prompts.count(call.request.body(), call.tokenizer), false)
                .otherwise(failure -> 0L)
                .onComplete(counted -> {
                    long prompt = counted.result();
                    closeTranslation(call, prompt, completion);
                    if (usage.heldDone()) {
                        call.sealed.chunk(usageChunk.event(usage.identity(), call.exchange.requestId(),
                                call.exchange.path().endsWith("/chat/completions"), call.forward.publicModel(), prompt,
                                completion, true));
                        call.sealed.chunk(UsageChunk.done());
                    }
                    call.sealed.finish(lastData, prompt, completion, true);
                    call.exchange.complete(200, status);
                });
    }

    /** A translated stream that ended well gets its closing events, which report the counts the receipt signs. */
    private static void closeTranslation(Call call, long prompt, long completion) {
        if (call.translation != null && !call.interrupted) {
            sealEvents(call, call.translation.finish(prompt, completion));
        }
    }

    private CompletionCounter completionCounter(Call call) {
        return new CompletionCounter(json.getFactory(), call.tokenizer);
    }

    /** The engine could not be reached, or failed before anything was sent to the client: a clear 502. */
    private static void failedBeforeStart(Call call, Throwable failure) {
        if (call.done) {
            return;
        }
        call.done = true;
        if (call.clientGone) {
            return;
        }
        LOG.warn("request_id={} engine unavailable: {}", call.exchange.requestId(), failure.getClass().getName());
        Replies.error(call.exchange, NodeErrors.engineUnavailable());
    }

    private static boolean isBlank(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8).isBlank();
    }
}
