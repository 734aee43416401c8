package dev.veil.bench;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fake OpenAI-compatible upstream on its own event loop: {@code POST /v1/chat/completions} (and
 * {@code /v1/completions}) answered as the request's model name asks ({@link FakeMode}): a fixed ~330-byte
 * {@code chat.completion} after a fixed latency, or real {@code chat.completion.chunk} server-sent events with a
 * configurable time to first token, chunk count and gap, ending with the usage chunk when the request asked for it
 * ({@code stream_options.include_usage}) and {@code data: [DONE]}; and error injection. It reads the body with a byte
 * scan, not a JSON parser, so that it stays cheap on the load generator's core. For the soak run it also injects the
 * faults of a {@link FaultPlan} (resets, stalls, error statuses, never-ending and malformed bodies) and records each
 * attempt's fault in a {@link FaultLog}.
 */
public final class FakeUpstream implements AutoCloseable {

    private static final byte[] MODEL_KEY = "\"model\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STREAM_KEY = "\"stream\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] USAGE_KEY = "\"include_usage\"".getBytes(StandardCharsets.US_ASCII);

    private final Vertx vertx;
    private final boolean ownsVertx;
    private final HttpServer server;
    private final Map<String, Answers> answers = new ConcurrentHashMap<>();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong streamsOpen = new AtomicLong();
    private final FaultPlan faults;
    private final FaultLog faultLog;
    private final Map<Fault, AtomicLong> injected = new java.util.EnumMap<>(Fault.class);

    private FakeUpstream(Vertx vertx, boolean ownsVertx, HttpServer server, FaultPlan faults, FaultLog faultLog) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.server = server;
        this.faults = faults;
        this.faultLog = faultLog;
        for (Fault f : Fault.values()) {
            injected.put(f, new AtomicLong());
        }
    }

    /** Starts on {@code host:port} (0 picks a free port) with its own single event loop. */
    public static FakeUpstream start(String host, int port) {
        return start(host, port, FaultPlan.NONE, null);
    }

    /**
     * As {@link #start(String, int)}, injecting the faults of {@code faults} and recording every attempt's fault in
     * {@code faultLog} (may be null) under its {@link FaultLog#HEADER}.
     */
    public static FakeUpstream start(String host, int port, FaultPlan faults, FaultLog faultLog) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1).setBlockedThreadCheckInterval(TimeUnit.HOURS.toMillis(1)));
        FakeUpstream[] self = new FakeUpstream[1];
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)
                .setTcpNoDelay(true).setAcceptBacklog(8192).setCompressionSupported(false).setIdleTimeout(0));
        server.requestHandler(request -> self[0].handle(request));
        try {
            server.listen().await(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("the fake upstream could not listen on " + host + ":" + port, e);
        }
        self[0] = new FakeUpstream(vertx, true, server, faults, faultLog);
        return self[0];
    }

    public int port() {
        return server.actualPort();
    }

    /** The base URL OpenAI clients use, e.g. {@code http://127.0.0.1:9001/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port() + "/v1";
    }

    /** Requests answered so far. */
    public long requests() {
        return requests.get();
    }

    /** Streams currently being written. */
    public long streamsOpen() {
        return streamsOpen.get();
    }

    /** How many answers got each fault so far ({@link Fault#NONE}: the normal answers). */
    public Map<Fault, Long> injected() {
        Map<Fault, Long> counts = new java.util.EnumMap<>(Fault.class);
        injected.forEach((f, n) -> counts.put(f, n.get()));
        return counts;
    }

    private void handle(HttpServerRequest request) {
        String path = request.path();
        if (path.equals("/health")) {
            request.response().end("{\"status\":\"ok\"}");
            return;
        }
        if (request.method() != io.vertx.core.http.HttpMethod.POST
                || !(path.endsWith("/chat/completions") || path.endsWith("/completions") || path.endsWith("/responses"))) {
            request.response().setStatusCode(404).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"message\":\"unknown path\",\"type\":\"invalid_request_error\"}}");
            return;
        }
        request.body().onSuccess(body -> answer(request, body.getBytes()))
                .onFailure(t -> request.response().reset());
    }

    private void answer(HttpServerRequest request, byte[] body) {
        HttpServerResponse response = request.response();
        requests.incrementAndGet();
        String model = stringValue(body, MODEL_KEY);
        Answers a = answers.computeIfAbsent(model == null ? "fake" : model, Answers::new);
        FakeMode mode = a.mode;
        boolean stream = trueValue(body, STREAM_KEY);
        Fault fault = faults.percent() == 0 ? Fault.NONE : faults.decide(ThreadLocalRandom.current());
        injected.get(fault).incrementAndGet();
        if (faultLog != null) {
            faultLog.record(request.getHeader(FaultLog.HEADER), fault);
        }
        if (fault != Fault.NONE) {
            inject(fault, request, a, stream, trueValue(body, USAGE_KEY));
            return;
        }
        if (mode.errorPercent() > 0 && ThreadLocalRandom.current().nextInt(100) < mode.errorPercent()) {
            later(mode.latencyMs(), () -> response.setStatusCode(mode.errorStatus())
                    .putHeader("content-type", "application/json").end(a.error));
            return;
        }
        boolean responses = request.path().endsWith("/responses");
        if (!stream) {
            later(mode.latencyMs(), () -> {
                if (!response.closed()) {
                    response.putHeader("content-type", "application/json").end(responses ? a.responsesWhole : a.whole);
                }
            });
            return;
        }
        if (responses) {
            // The Responses API: typed events from response.created to response.completed (usage in it, no [DONE]).
            streamsOpen.incrementAndGet();
            response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
            response.closeHandler(v -> { });
            later(mode.ttftMs(), () -> {
                if (!response.closed()) {
                    response.write(a.responsesCreated);
                }
                sendEvent(response, a, a.responsesDeltas, a.responsesCompleted, 0);
            });
            return;
        }
        boolean usage = trueValue(body, USAGE_KEY);
        streamsOpen.incrementAndGet();
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        response.closeHandler(v -> { });
        later(mode.ttftMs(), () -> sendChunk(response, a, 0, usage));
    }

    /** Writes {@code events[index]}, then the next after the mode's gap, and ends with {@code last}. */
    private void sendEvent(HttpServerResponse response, Answers a, Buffer[] events, Buffer last, int index) {
        if (response.closed() || response.ended()) {
            streamsOpen.decrementAndGet();
            return;
        }
        response.write(events[index]);
        if (index + 1 < events.length) {
            if (response.writeQueueFull()) {
                response.drainHandler(v -> later(a.mode.gapMs(), () -> sendEvent(response, a, events, last, index + 1)));
                return;
            }
            later(a.mode.gapMs(), () -> sendEvent(response, a, events, last, index + 1));
            return;
        }
        response.end(last);
        streamsOpen.decrementAndGet();
    }

    private void sendChunk(HttpServerResponse response, Answers a, int index, boolean usage) {
        if (response.closed() || response.ended()) {
            streamsOpen.decrementAndGet();
            return;
        }
        int n = a.mode.chunks();
        response.write(a.chunks[index]);
        if (index + 1 < n) {
            if (response.writeQueueFull()) {
                // The reader is behind (a client that stopped reading, through a proxy that passes backpressure on):
                // wait, as a real server's blocked socket write would, instead of queueing the rest in memory.
                response.drainHandler(v -> later(a.mode.gapMs(), () -> sendChunk(response, a, index + 1, usage)));
                return;
            }
            later(a.mode.gapMs(), () -> sendChunk(response, a, index + 1, usage));
            return;
        }
        if (usage) {
            response.write(a.usage);
        }
        response.end(a.done);
        streamsOpen.decrementAndGet();
    }

    // ------------------------------------------------------------------------------------------------ faults

    private static final long STALL_LIMIT_MS = 120_000;
    private static final Buffer FILLER = Buffer.buffer("a".repeat(64 * 1024));
    private static final Buffer HTML = Buffer.buffer("<html><head><title>502 Bad Gateway</title></head><body><h1>"
            + "Bad Gateway</h1><p>The upstream is down for maintenance.</p></body></html>\n");

    /** Answers with {@code fault} instead of the normal answer (see {@link Fault} for what each does). */
    private void inject(Fault fault, HttpServerRequest request, Answers a, boolean stream, boolean usage) {
        HttpServerResponse response = request.response();
        switch (fault) {
            case RESET -> request.connection().close();
            case SLOW_FIRST_BYTE -> later(faults.slowMillis(), () -> {
                if (!response.closed()) {
                    normal(response, a, stream, usage);
                }
            });
            case STALL, RESET_MID -> {
                response.setChunked(true).putHeader("content-type", stream ? "text/event-stream" : "application/json");
                if (stream) {
                    response.write(a.chunks[0]);
                    response.write(a.chunks[Math.min(1, a.chunks.length - 1)]);
                } else {
                    response.write(a.whole.slice(0, a.whole.length() / 2));
                }
                if (fault == Fault.RESET_MID) {
                    later(5, () -> request.connection().close());
                } else {
                    // Silence until the gateway gives up; the harness's own bound, so that nothing leaks here.
                    later(STALL_LIMIT_MS, () -> request.connection().close());
                }
            }
            case ERROR_5XX -> {
                int status = new int[] {500, 502, 503}[ThreadLocalRandom.current().nextInt(3)];
                response.setStatusCode(status).putHeader("content-type", "application/json").end(a.error);
            }
            case RATE_LIMITED -> response.setStatusCode(429).putHeader("retry-after", "1")
                    .putHeader("content-type", "application/json").end(a.error);
            case ENDLESS_BODY -> {
                response.setChunked(true).putHeader("content-type", stream ? "text/event-stream" : "application/json");
                response.write(stream ? "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                        : "{\"id\":\"chatcmpl-endless\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
                        + "\"message\":{\"role\":\"assistant\",\"content\":\"");
                pump(response, 0);
            }
            case ENDLESS_ERROR -> {
                response.setStatusCode(500).setChunked(true).putHeader("content-type", "application/json");
                response.write("{\"error\":{\"type\":\"server_error\",\"message\":\"");
                pump(response, 0);
            }
            case MALFORMED -> response.putHeader("content-type", "text/html").end(HTML);
            default -> normal(response, a, stream, usage);
        }
    }

    /**
     * Writes filler for as long as the peer reads it (backpressure: at most one write queue ahead), up to
     * {@link FaultPlan#ENDLESS_CAP_BYTES}; stops when the peer closes.
     */
    private void pump(HttpServerResponse response, long sent) {
        long total = sent;
        while (!response.closed() && !response.writeQueueFull() && total < FaultPlan.ENDLESS_CAP_BYTES) {
            response.write(FILLER);
            total += FILLER.length();
        }
        if (response.closed()) {
            return;
        }
        if (total >= FaultPlan.ENDLESS_CAP_BYTES) {
            response.end();
            return;
        }
        long now = total;
        response.drainHandler(v -> pump(response, now));
    }

    /** The normal answer, as without faults (used after a slow first byte). */
    private void normal(HttpServerResponse response, Answers a, boolean stream, boolean usage) {
        if (!stream) {
            response.putHeader("content-type", "application/json").end(a.whole);
            return;
        }
        streamsOpen.incrementAndGet();
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        sendChunk(response, a, 0, usage);
    }

    private void later(long millis, Runnable action) {
        if (millis <= 0) {
            action.run();
        } else {
            vertx.setTimer(millis, id -> action.run());
        }
    }

    /** The precomputed bytes of one mode's answers. */
    private static final class Answers {
        final FakeMode mode;
        final Buffer whole;
        final Buffer error;
        final Buffer[] chunks;
        final Buffer usage;
        final Buffer done;
        /** The Responses API's answer: whole, and as a stream (opening event, one delta per chunk, completion). */
        final Buffer responsesWhole;
        final Buffer responsesCreated;
        final Buffer[] responsesDeltas;
        final Buffer responsesCompleted;

        Answers(String model) {
            this.mode = FakeMode.parse(model);
            String m = jsonString(model);
            this.whole = Buffer.buffer(("{\"id\":\"chatcmpl-bench0000000000000000000000\",\"object\":\"chat.completion\","
                    + "\"created\":1700000000,\"model\":" + m + ",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                    + "\"assistant\",\"content\":\"Hello! How can I help you today?\",\"refusal\":null},\"logprobs\":null,"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":9,"
                    + "\"total_tokens\":28},\"system_fingerprint\":\"fp_bench\"}").getBytes(StandardCharsets.UTF_8));
            this.error = Buffer.buffer(("{\"error\":{\"message\":\"injected failure\",\"type\":\"server_error\","
                    + "\"param\":null,\"code\":\"injected\"}}").getBytes(StandardCharsets.UTF_8));
            int n = mode.chunks();
            this.chunks = new Buffer[n];
            String head = "{\"id\":\"chatcmpl-bench0000000000000000000000\",\"object\":\"chat.completion.chunk\","
                    + "\"created\":1700000000,\"model\":" + m + ",\"system_fingerprint\":\"fp_bench\",\"choices\":[{\"index\":0,";
            for (int i = 0; i < n; i++) {
                String choice;
                if (i == 0) {
                    choice = "\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}";
                } else if (i == n - 1 && n > 1) {
                    choice = "\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}";
                } else {
                    choice = "\"delta\":{\"content\":\" tok" + i + "\"},\"logprobs\":null,\"finish_reason\":null}]}";
                }
                chunks[i] = Buffer.buffer(Sse.event(head + choice));
            }
            this.usage = Buffer.buffer(Sse.event("{\"id\":\"chatcmpl-bench0000000000000000000000\",\"object\":"
                    + "\"chat.completion.chunk\",\"created\":1700000000,\"model\":" + m + ",\"choices\":[],\"usage\":"
                    + "{\"prompt_tokens\":19,\"completion_tokens\":" + Math.max(0, n - 2) + ",\"total_tokens\":"
                    + (19 + Math.max(0, n - 2)) + "}}"));
            this.done = Buffer.buffer("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            String response = "{\"id\":\"resp_bench\",\"object\":\"response\",\"created_at\":1700000000,\"model\":" + m
                    + ",\"error\":null,\"incomplete_details\":null,\"instructions\":null,\"metadata\":{},"
                    + "\"parallel_tool_calls\":true,\"temperature\":0.7,\"top_p\":1.0,\"tool_choice\":\"auto\",\"tools\":[],"
                    + "\"store\":false,";
            String message = "{\"type\":\"message\",\"id\":\"msg_bench\",\"status\":\"completed\",\"role\":\"assistant\","
                    + "\"content\":[{\"type\":\"output_text\",\"text\":\"Hello! How can I help you today?\",\"annotations\":[]}]}";
            String usageObject = "{\"input_tokens\":19,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":"
                    + n + ",\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":" + (19 + n) + "}";
            this.responsesWhole = Buffer.buffer((response + "\"status\":\"completed\",\"output\":[" + message
                    + "],\"usage\":" + usageObject + "}").getBytes(StandardCharsets.UTF_8));
            this.responsesCreated = Buffer.buffer(Sse.typedEvent("response.created", "{\"type\":\"response.created\","
                    + "\"sequence_number\":0,\"response\":" + response + "\"status\":\"in_progress\",\"output\":[],"
                    + "\"usage\":null}}"));
            this.responsesDeltas = new Buffer[Math.max(1, n)];
            for (int i = 0; i < responsesDeltas.length; i++) {
                responsesDeltas[i] = Buffer.buffer(Sse.typedEvent("response.output_text.delta",
                        "{\"type\":\"response.output_text.delta\",\"sequence_number\":" + (i + 1) + ",\"item_id\":"
                                + "\"msg_bench\",\"output_index\":0,\"content_index\":0,\"delta\":\" tok" + i + "\"}"));
            }
            this.responsesCompleted = Buffer.buffer(Sse.typedEvent("response.completed",
                    "{\"type\":\"response.completed\",\"sequence_number\":" + (responsesDeltas.length + 1)
                            + ",\"response\":" + response + "\"status\":\"completed\",\"output\":[" + message
                            + "],\"usage\":" + usageObject + "}}"));
        }
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            if (c >= 0x20) {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    /** The string value of the first {@code key} in a JSON body, by byte scan; null when absent. */
    static String stringValue(byte[] body, byte[] key) {
        int at = Sse.indexOf(body, 0, body.length, key);
        if (at < 0) {
            return null;
        }
        int i = skipColon(body, at + key.length);
        if (i < 0 || i >= body.length || body[i] != '"') {
            return null;
        }
        int start = i + 1;
        int end = start;
        while (end < body.length && body[end] != '"') {
            end++;
        }
        return end >= body.length ? null : new String(body, start, end - start, StandardCharsets.UTF_8);
    }

    /** Whether the first {@code key} in a JSON body is {@code true}, by byte scan. */
    static boolean trueValue(byte[] body, byte[] key) {
        int at = Sse.indexOf(body, 0, body.length, key);
        if (at < 0) {
            return false;
        }
        int i = skipColon(body, at + key.length);
        return i >= 0 && i + 4 <= body.length && body[i] == 't' && body[i + 1] == 'r' && body[i + 2] == 'u'
                && body[i + 3] == 'e';
    }

    private static int skipColon(byte[] body, int i) {
        while (i < body.length && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
            i++;
        }
        if (i >= body.length || body[i] != ':') {
            return -1;
        }
        i++;
        while (i < body.length && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
            i++;
        }
        return i;
    }

    @Override
    public void close() {
        if (ownsVertx) {
            try {
                vertx.close().await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort
            }
        }
    }
}
