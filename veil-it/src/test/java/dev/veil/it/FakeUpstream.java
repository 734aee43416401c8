package dev.veil.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a hosted OpenAI-compatible provider that behaves like one on the wire: JSON answers, SSE streams with
 * real gaps between events, a final usage chunk only when asked, and on demand HTTP errors, resets mid-stream, early
 * ends and silence. It records every request it gets (headers and body) so tests can check what left the gateway.
 * It echoes the last user message back, so content also travels the response path.
 */
public final class FakeUpstream implements AutoCloseable {

    /** What the fake does with the next requests. */
    public enum Mode { OK, HTTP_ERROR, RESET_MID_STREAM, END_WITHOUT_DONE, SILENT,
        /** Streams {@link #FIREHOSE_EVENTS} large events as fast as the gateway reads them. */
        FIREHOSE,
        /** Answers normally, but only after {@link #slowMillis(long)}. */
        SLOW,
        /**
         * Answers normally but reports no usage, as servers that ignore {@code stream_options} do: no usage chunk in
         * streams, no {@code usage} in whole answers.
         */
        NO_USAGE }

    public static final int FIREHOSE_EVENTS = 2_000;
    public static final int FIREHOSE_EVENT_BYTES = 8_192;

    /** A request as the fake received it. */
    public record Recorded(String method, String path, Map<String, List<String>> headers, String body) {
        public JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("upstream body was not JSON", e);
            }
        }
    }

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Vertx vertx;
    private final HttpServer server;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger streamsCutByClient = new AtomicInteger();
    private final AtomicInteger streamsStarted = new AtomicInteger();
    private final AtomicInteger firehoseBlocked = new AtomicInteger();
    private volatile Mode mode = Mode.OK;
    private volatile int errorStatus = 500;
    private volatile String errorBody = "{}";
    private volatile long gapMillis = 5;
    private volatile int extraChunks = 0;
    private volatile long slowMillis = 500;
    private volatile java.util.function.BiConsumer<HttpServerRequest, Buffer> custom;

    private FakeUpstream(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    public static FakeUpstream start() {
        Vertx vertx = Vertx.vertx();
        try {
            FakeUpstream[] self = new FakeUpstream[1];
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(r -> self[0].handle(r))
                    .listen().await(10, TimeUnit.SECONDS);
            self[0] = new FakeUpstream(vertx, server);
            return self[0];
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException(e);
        }
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort() + "/v1";
    }

    public List<Recorded> requests() {
        return List.copyOf(requests);
    }

    public Recorded lastRequest() {
        if (requests.isEmpty()) {
            throw new AssertionError("the fake upstream received no request");
        }
        return requests.get(requests.size() - 1);
    }

    /** Streams that the gateway cut (closed) before the fake finished them. */
    public int streamsCutByClient() {
        return streamsCutByClient.get();
    }

    /** How often the firehose found its write queue full, i.e. the gateway stopped reading. */
    public int firehoseBlocked() {
        return firehoseBlocked.get();
    }

    public int streamsStarted() {
        return streamsStarted.get();
    }

    public FakeUpstream mode(Mode mode) {
        this.mode = mode;
        return this;
    }

    public FakeUpstream error(int status, String body) {
        this.mode = Mode.HTTP_ERROR;
        this.errorStatus = status;
        this.errorBody = body;
        return this;
    }

    public FakeUpstream gapMillis(long gap) {
        this.gapMillis = gap;
        return this;
    }

    /** How long {@link Mode#SLOW} waits before answering. */
    public FakeUpstream slowMillis(long millis) {
        this.slowMillis = millis;
        return this;
    }

    /** Adds filler events to every stream, to make long streams. */
    public FakeUpstream extraChunks(int count) {
        this.extraChunks = count;
        return this;
    }

    /**
     * Answers every next request with {@code handler} (given the request and its body, already recorded) instead of
     * the OpenAI-like behaviour: for upstreams that misbehave in ways the modes do not cover. {@link #reset()} ends it.
     */
    public FakeUpstream custom(java.util.function.BiConsumer<HttpServerRequest, Buffer> handler) {
        this.custom = handler;
        return this;
    }

    public void reset() {
        custom = null;
        extraEventType = null;
        requests.clear();
        mode = Mode.OK;
        gapMillis = 5;
        extraChunks = 0;
        slowMillis = 500;
        streamsCutByClient.set(0);
        streamsStarted.set(0);
        firehoseBlocked.set(0);
    }

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            requests.add(new Recorded(request.method().name(), request.path(), copy(request.headers()), body.toString()));
            HttpServerResponse response = request.response();
            java.util.function.BiConsumer<HttpServerRequest, Buffer> handler = custom;
            if (handler != null) {
                handler.accept(request, body);
                return;
            }
            switch (mode) {
                case SILENT -> { } // never answers
                case HTTP_ERROR -> response.setStatusCode(errorStatus).putHeader("content-type", "application/json").end(errorBody);
                case SLOW -> vertx.setTimer(Math.max(1, slowMillis), t -> answer(request.path(), body, response));
                default -> answer(request.path(), body, response);
            }
        });
    }

    private void answer(String path, Buffer body, HttpServerResponse response) {
        JsonNode req;
        try {
            req = MAPPER.readTree(body.getBytes());
        } catch (Exception e) {
            response.setStatusCode(400).end("{\"error\":{\"message\":\"bad json\"}}");
            return;
        }
        String model = req.path("model").asText();
        if (path.endsWith("/responses")) {
            FakeResponses.answer(vertx, this, req, response, mode, gapMillis);
            return;
        }
        if (path.endsWith("/embeddings")) {
            ObjectNode out = MAPPER.createObjectNode().put("object", "list").put("model", model);
            int n = req.path("input").isArray() ? req.path("input").size() : 1;
            for (int i = 0; i < n; i++) {
                out.withArray("data").addObject().put("object", "embedding").put("index", i)
                        .putArray("embedding").add(0.25).add(-0.5).add(0.75);
            }
            if (mode != Mode.NO_USAGE) {
                out.putObject("usage").put("prompt_tokens", 7).put("total_tokens", 7);
            }
            response.putHeader("content-type", "application/json").end(out.toString());
            return;
        }
        boolean chat = path.endsWith("/chat/completions");
        String echo = "echo: " + lastUserText(req, chat);
        if (!req.path("stream").asBoolean(false)) {
            ObjectNode out = MAPPER.createObjectNode().put("id", "cmpl-fake").put("object", chat ? "chat.completion" : "text_completion")
                    .put("created", 1).put("model", model);
            ObjectNode choice = out.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
            if (chat) {
                choice.putObject("message").put("role", "assistant").put("content", echo);
            } else {
                choice.put("text", echo);
            }
            if (mode != Mode.NO_USAGE) {
                out.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", 3).put("total_tokens", 14);
            }
            response.putHeader("content-type", "application/json").end(out.toString());
            return;
        }
        boolean includeUsage = mode != Mode.NO_USAGE && req.path("stream_options").path("include_usage").asBoolean(false);
        response.setChunked(true).putHeader("content-type", "text/event-stream");
        streamsStarted.incrementAndGet();
        response.closeHandler(v -> {
            if (!response.ended()) {
                streamsCutByClient.incrementAndGet();
            }
        });
        if (mode == Mode.FIREHOSE) {
            String event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
                    + "x".repeat(FIREHOSE_EVENT_BYTES - 60) + "\"}}]}\n\n";
            firehose(response, Buffer.buffer(event), 0);
            return;
        }
        String[] pieces = echo.split("(?<= )");
        int total = pieces.length + extraChunks;
        Mode streamMode = mode;
        sendChunk(response, chat, model, pieces, total, 0, includeUsage, streamMode);
    }

    private void sendChunk(HttpServerResponse response, boolean chat, String model, String[] pieces, int total, int index,
                           boolean includeUsage, Mode streamMode) {
        if (response.closed()) {
            return;
        }
        if (streamMode == Mode.RESET_MID_STREAM && index == Math.min(2, total)) {
            response.reset();
            return;
        }
        if (index < total) {
            String text = index < pieces.length ? pieces[index] : "x ";
            ObjectNode chunk = MAPPER.createObjectNode().put("id", "cmpl-fake").put("object", chat ? "chat.completion.chunk" : "text_completion")
                    .put("created", 1).put("model", model);
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            if (chat) {
                choice.putObject("delta").put("content", text);
            } else {
                choice.put("text", text);
            }
            choice.putNull("finish_reason");
            if (includeUsage) {
                chunk.putNull("usage");
            }
            response.write("data: " + chunk + "\n\n");
            vertx.setTimer(Math.max(1, gapMillis), t -> sendChunk(response, chat, model, pieces, total, index + 1, includeUsage, streamMode));
            return;
        }
        if (streamMode == Mode.END_WITHOUT_DONE) {
            response.end();
            return;
        }
        if (includeUsage) {
            ObjectNode usage = MAPPER.createObjectNode().put("id", "cmpl-fake").put("object", "chat.completion.chunk")
                    .put("created", 1).put("model", model);
            usage.putArray("choices");
            usage.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", total).put("total_tokens", 11 + total);
            response.write("data: " + usage + "\n\n");
        }
        response.end("data: [DONE]\n\n");
    }

    private void firehose(HttpServerResponse response, Buffer event, int sent) {
        int i = sent;
        while (i < FIREHOSE_EVENTS && !response.closed()) {
            response.write(event);
            i++;
            if (response.writeQueueFull()) {
                firehoseBlocked.incrementAndGet();
                int next = i;
                response.drainHandler(v -> firehose(response, event, next));
                return;
            }
        }
        if (!response.closed()) {
            response.end("data: [DONE]\n\n");
        }
    }

    private static String lastUserText(JsonNode req, boolean chat) {
        if (!chat) {
            JsonNode prompt = req.path("prompt");
            return prompt.isArray() ? prompt.path(0).asText() : prompt.asText();
        }
        String text = "";
        for (JsonNode message : req.path("messages")) {
            JsonNode content = message.path("content");
            text = content.isTextual() ? content.asText() : content.path(0).path("text").asText(text);
        }
        return text;
    }

    /** A stream the fake started (for {@link FakeResponses}). */
    void streamStarted(HttpServerResponse response) {
        streamsStarted.incrementAndGet();
        response.closeHandler(v -> {
            if (!response.ended()) {
                streamsCutByClient.incrementAndGet();
            }
        });
    }

    private volatile String extraEventType;

    /** Adds an event of {@code type} (one no client knows) to every Responses stream, after its first delta. */
    public FakeUpstream extraEventType(String type) {
        this.extraEventType = type;
        return this;
    }

    String extraEventType() {
        return extraEventType;
    }

    private static Map<String, List<String>> copy(MultiMap headers) {
        Map<String, List<String>> out = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : headers.names()) {
            out.put(name, List.copyOf(headers.getAll(name)));
        }
        return out;
    }

    @Override
    public void close() {
        vertx.close().await();
    }

    /**
     * Writes {@code piece} for as long as the reader takes it, until the connection closes: an answer that never ends.
     * A few pieces at a time, so that the fake's event loop also sees the close.
     */
    static void endless(io.vertx.core.http.HttpServerResponse response, io.vertx.core.buffer.Buffer piece) {
        if (response.closed()) {
            return;
        }
        for (int i = 0; i < 4 && !response.writeQueueFull(); i++) {
            response.write(piece);
        }
        if (response.writeQueueFull()) {
            response.drainHandler(v -> endless(response, piece));
        } else {
            io.vertx.core.Vertx.currentContext().runOnContext(v -> endless(response, piece));
        }
    }

}
