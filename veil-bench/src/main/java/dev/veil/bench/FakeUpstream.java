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
 * scan, not a JSON parser, so that it stays cheap on the load generator's core.
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

    private FakeUpstream(Vertx vertx, boolean ownsVertx, HttpServer server) {
        this.vertx = vertx;
        this.ownsVertx = ownsVertx;
        this.server = server;
    }

    /** Starts on {@code host:port} (0 picks a free port) with its own single event loop. */
    public static FakeUpstream start(String host, int port) {
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
        self[0] = new FakeUpstream(vertx, true, server);
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

    private void handle(HttpServerRequest request) {
        String path = request.path();
        if (path.equals("/health")) {
            request.response().end("{\"status\":\"ok\"}");
            return;
        }
        if (request.method() != io.vertx.core.http.HttpMethod.POST
                || !(path.endsWith("/chat/completions") || path.endsWith("/completions"))) {
            request.response().setStatusCode(404).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"message\":\"unknown path\",\"type\":\"invalid_request_error\"}}");
            return;
        }
        request.body().onSuccess(body -> answer(request.response(), body.getBytes()))
                .onFailure(t -> request.response().reset());
    }

    private void answer(HttpServerResponse response, byte[] body) {
        requests.incrementAndGet();
        String model = stringValue(body, MODEL_KEY);
        Answers a = answers.computeIfAbsent(model == null ? "fake" : model, Answers::new);
        FakeMode mode = a.mode;
        boolean stream = trueValue(body, STREAM_KEY);
        if (mode.errorPercent() > 0 && ThreadLocalRandom.current().nextInt(100) < mode.errorPercent()) {
            later(mode.latencyMs(), () -> response.setStatusCode(mode.errorStatus())
                    .putHeader("content-type", "application/json").end(a.error));
            return;
        }
        if (!stream) {
            later(mode.latencyMs(), () -> {
                if (!response.closed()) {
                    response.putHeader("content-type", "application/json").end(a.whole);
                }
            });
            return;
        }
        boolean usage = trueValue(body, USAGE_KEY);
        streamsOpen.incrementAndGet();
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        response.closeHandler(v -> { });
        later(mode.ttftMs(), () -> sendChunk(response, a, 0, usage));
    }

    private void sendChunk(HttpServerResponse response, Answers a, int index, boolean usage) {
        if (response.closed() || response.ended()) {
            streamsOpen.decrementAndGet();
            return;
        }
        int n = a.mode.chunks();
        response.write(a.chunks[index]);
        if (index + 1 < n) {
            later(a.mode.gapMs(), () -> sendChunk(response, a, index + 1, usage));
            return;
        }
        if (usage) {
            response.write(a.usage);
        }
        response.end(a.done);
        streamsOpen.decrementAndGet();
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
