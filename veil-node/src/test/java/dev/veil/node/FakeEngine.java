package dev.veil.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small OpenAI-compatible engine for the tests. By engine model name:
 * <ul>
 *   <li>{@code engine-chat}: a whole answer with usage, or a stream with small gaps whose events arrive split across
 *       writes and with both {@code \n\n} and {@code \r\n\r\n} endings; the usage-only event only when
 *       {@code stream_options.include_usage} is set;</li>
 *   <li>{@code engine-slow}: a stream that never ends (until its connection closes, recorded in {@link #cancelled});</li>
 *   <li>{@code engine-die}: a stream that breaks its connection after two events;</li>
 *   <li>{@code engine-reject}: a 400 error;</li>
 *   <li>{@link #NO_USAGE_MODEL}: as {@code engine-chat}, but reporting no usage at all (it ignores
 *       {@code stream_options}), as some servers do; named like an OpenAI model so that the node counts with
 *       {@code o200k_base};</li>
 *   <li>{@code engine-flood}: a stream written as fast as its connection takes it (up to {@link #FLOOD_LIMIT}),
 *       counting the bytes in {@link #flooded};</li>
 * </ul>
 * and {@code /v1/embeddings} answers with usage.
 */
final class FakeEngine implements AutoCloseable {

    static final int PROMPT_TOKENS = 11;
    static final int COMPLETION_TOKENS = 3;
    static final String ANSWER = "Hello there friend";
    static final long FLOOD_LIMIT = 512L * 1024 * 1024;
    static final String NO_USAGE_MODEL = "gpt-4o-mini";

    private static final ObjectMapper JSON = new ObjectMapper();

    final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
    final AtomicReference<String> lastPath = new AtomicReference<>();
    final CompletableFuture<Void> cancelled = new CompletableFuture<>();
    /** Bytes the flooding stream managed to write: bounded when the node applies backpressure. */
    final AtomicLong flooded = new AtomicLong();
    final CompletableFuture<Void> floodCancelled = new CompletableFuture<>();

    private final Vertx vertx;
    private final HttpServer server;

    private FakeEngine(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    static FakeEngine start() throws Exception {
        Vertx vertx = Vertx.vertx();
        FakeEngine[] self = new FakeEngine[1];
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true))
                .requestHandler(request -> self[0].handle(request))
                .listen()
                .await(10, TimeUnit.SECONDS);
        self[0] = new FakeEngine(vertx, server);
        return self[0];
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort() + "/v1";
    }

    @Override
    public void close() {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            HttpServerResponse response = request.response();
            JsonNode json;
            try {
                json = JSON.readTree(body.getBytes());
            } catch (Exception e) {
                error(response, 400, "bad json");
                return;
            }
            lastRequest.set(json);
            lastPath.set(request.path());
            String model = json.path("model").asText();
            if (request.path().equals("/v1/embeddings")) {
                embeddings(response, model);
                return;
            }
            if (model.equals("engine-reject")) {
                error(response, 400, "temperature must be between 0 and 2");
                return;
            }
            if (!json.path("stream").asBoolean(false)) {
                vertx.setTimer(10, t -> whole(response, model));
                return;
            }
            boolean includeUsage = !model.equals(NO_USAGE_MODEL)
                && json.path("stream_options").path("include_usage").asBoolean(false);
            response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
            switch (model) {
                case "engine-slow" -> {
                    response.closeHandler(v -> cancelled.complete(null));
                    request.connection().closeHandler(v -> cancelled.complete(null));
                    slow(response, 0);
                }
                case "engine-flood" -> {
                    response.closeHandler(v -> floodCancelled.complete(null));
                    flood(response, event(chunk(model, "content", "x".repeat(1000), null), "\n\n"));
                }
                case "engine-die" -> {
                    List<Buffer> writes = List.of(event(chunk(model, "role", "assistant", null), "\n\n"),
                            event(chunk(model, "content", "Hello", null), "\n\n"));
                    play(response, writes, 0, () -> request.connection().close());
                }
                default -> play(response, streamWrites(model, includeUsage), 0, response::end);
            }
        });
    }

    /** The stream as a list of writes: some events split in two, one with CRLF endings. */
    private static List<Buffer> streamWrites(String model, boolean includeUsage) {
        List<Buffer> writes = new ArrayList<>();
        writes.add(event(chunk(model, "role", "assistant", null), "\n\n"));
        Buffer hello = event(chunk(model, "content", "Hello", null), "\n\n");
        int half = hello.length() / 2;
        writes.add(hello.getBuffer(0, half));
        writes.add(hello.getBuffer(half, hello.length()));
        writes.add(event(chunk(model, "content", " there", null), "\r\n\r\n"));
        Buffer friend = event(chunk(model, "content", " friend", null), "\n\n");
        // The blank line itself arrives in the next read.
        writes.add(friend.getBuffer(0, friend.length() - 1));
        writes.add(friend.getBuffer(friend.length() - 1, friend.length()).appendBuffer(
                event(chunk(model, null, null, "stop"), "\n\n")));
        if (includeUsage) {
            ObjectNode usage = base(model);
            usage.putArray("choices");
            usage.set("usage", usage(PROMPT_TOKENS, COMPLETION_TOKENS));
            writes.add(event(usage, "\n\n"));
        }
        writes.add(Buffer.buffer("data: [DONE]\n\n"));
        return writes;
    }

    private void play(HttpServerResponse response, List<Buffer> writes, int index, Runnable then) {
        if (response.closed()) {
            return;
        }
        if (index == writes.size()) {
            then.run();
            return;
        }
        response.write(writes.get(index));
        vertx.setTimer(5, t -> play(response, writes, index + 1, then));
    }

    /** Writes while the connection takes it; waits for drain otherwise, as a real server does. */
    private void flood(HttpServerResponse response, Buffer event) {
        while (!response.closed() && !response.writeQueueFull() && flooded.get() < FLOOD_LIMIT) {
            response.write(event);
            flooded.addAndGet(event.length());
        }
        if (!response.closed() && flooded.get() < FLOOD_LIMIT) {
            response.drainHandler(v -> flood(response, event));
        }
    }

    private void slow(HttpServerResponse response, int n) {
        if (response.closed() || cancelled.isDone()) {
            return;
        }
        response.write(event(chunk("engine-slow", "content", "tok" + n, null), "\n\n"));
        vertx.setTimer(20, t -> slow(response, n + 1));
    }

    private static void whole(HttpServerResponse response, String model) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", "chatcmpl-fake");
        node.put("object", "chat.completion");
        node.put("created", 1_700_000_000L);
        node.put("model", model);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", ANSWER);
        choice.put("finish_reason", "stop");
        if (!model.equals(NO_USAGE_MODEL)) {
            node.set("usage", usage(PROMPT_TOKENS, COMPLETION_TOKENS));
        }
        response.setStatusCode(200).putHeader("content-type", "application/json").end(node.toString());
    }

    private static void embeddings(HttpServerResponse response, String model) {
        ObjectNode node = JSON.createObjectNode();
        node.put("object", "list");
        ObjectNode item = node.putArray("data").addObject();
        item.put("object", "embedding");
        item.put("index", 0);
        item.putArray("embedding").add(0.25).add(-0.5);
        node.put("model", model);
        node.putObject("usage").put("prompt_tokens", 4).put("total_tokens", 4);
        response.setStatusCode(200).putHeader("content-type", "application/json").end(node.toString());
    }

    private static ObjectNode base(String model) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", "chatcmpl-fake");
        node.put("object", "chat.completion.chunk");
        node.put("created", 1_700_000_000L);
        node.put("model", model);
        return node;
    }

    private static ObjectNode chunk(String model, String field, String value, String finishReason) {
        ObjectNode node = base(model);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (field != null) {
            delta.put(field, value);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return node;
    }

    private static Buffer event(ObjectNode node, String ending) {
        return Buffer.buffer("data: " + node + ending);
    }

    private static ObjectNode usage(int prompt, int completion) {
        ObjectNode usage = JSON.createObjectNode();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        return usage;
    }

    private static void error(HttpServerResponse response, int status, String message) {
        ObjectNode node = JSON.createObjectNode();
        ObjectNode error = node.putObject("error");
        error.put("message", message);
        error.put("type", "invalid_request_error");
        error.putNull("param");
        error.putNull("code");
        response.setStatusCode(status).putHeader("content-type", "application/json").end(node.toString());
    }
}
