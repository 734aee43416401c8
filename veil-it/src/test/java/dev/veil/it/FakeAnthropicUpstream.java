package dev.veil.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for Anthropic's Messages API that behaves like it on the wire: {@code POST /v1/messages} checks
 * {@code x-api-key} and {@code anthropic-version} (401 {@code authentication_error}, 400 {@code invalid_request_error}
 * otherwise), answers a whole {@code message} or the real event sequence ({@code message_start},
 * {@code content_block_start}, {@code ping}, {@code content_block_delta}s, {@code content_block_stop},
 * {@code message_delta} with cumulative usage, {@code message_stop}) with real gaps, and errors in Anthropic's shape
 * (529 {@code overloaded_error} included). It echoes the last user text, and when the request has tools and that text
 * mentions "weather" it calls the first tool with {@code {"city":"Paris"}}. Every request is recorded.
 */
public final class FakeAnthropicUpstream implements AutoCloseable {

    /** What the fake does with the next requests. */
    public enum Mode { OK, HTTP_ERROR, OVERLOADED,
        /** Streams end after the content, without message_delta and message_stop. */
        CUT_BEFORE_STOP,
        /** Streams carry an event type no client knows, between the real ones. */
        UNKNOWN_EVENT,
        /** Streams fail with an {@code error} event (overloaded) after the first delta. */
        ERROR_EVENT,
        /** Answers without usage. */
        NO_USAGE,
        /** Streams {@link #LONG_STREAM_DELTAS} deltas 20 ms apart. */
        LONG_STREAM }

    public static final int LONG_STREAM_DELTAS = 300;

    /** The versions Anthropic's API knows (the SDK of this generation sends the second). */
    public static final java.util.Set<String> VERSIONS = java.util.Set.of("2023-06-01", "2026-10-21");
    public static final int INPUT_TOKENS = 13;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Vertx vertx;
    private final HttpServer server;
    private final String secret;
    private final List<FakeUpstream.Recorded> requests = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.OK;
    private final java.util.concurrent.atomic.AtomicInteger streamsCutByClient = new java.util.concurrent.atomic.AtomicInteger();
    private volatile int errorStatus = 500;
    private volatile String errorBody = "{}";

    private FakeAnthropicUpstream(Vertx vertx, HttpServer server, String secret) {
        this.vertx = vertx;
        this.server = server;
        this.secret = secret;
    }

    /** A fake that accepts {@code secret} as its {@code x-api-key}; {@code null}: any caller (an engine next to a node). */
    public static FakeAnthropicUpstream start(String secret) {
        Vertx vertx = Vertx.vertx();
        try {
            FakeAnthropicUpstream[] self = new FakeAnthropicUpstream[1];
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(r -> self[0].handle(r))
                    .listen().await(10, TimeUnit.SECONDS);
            self[0] = new FakeAnthropicUpstream(vertx, server, secret);
            return self[0];
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException(e);
        }
    }

    /** The base URL as an operator configures it, e.g. {@code http://127.0.0.1:1234/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort() + "/v1";
    }

    public List<FakeUpstream.Recorded> requests() {
        return List.copyOf(requests);
    }

    public FakeUpstream.Recorded lastRequest() {
        if (requests.isEmpty()) {
            throw new AssertionError("the fake Anthropic upstream received no request");
        }
        return requests.get(requests.size() - 1);
    }

    public FakeAnthropicUpstream mode(Mode mode) {
        this.mode = mode;
        return this;
    }

    /** Answers every next request with {@code status} and {@code body}. */
    public FakeAnthropicUpstream error(int status, String body) {
        this.mode = Mode.HTTP_ERROR;
        this.errorStatus = status;
        this.errorBody = body;
        return this;
    }

    /** Streams whose connection the gateway closed before the fake finished them. */
    public int streamsCutByClient() {
        return streamsCutByClient.get();
    }

    public void reset() {
        requests.clear();
        streamsCutByClient.set(0);
        mode = Mode.OK;
    }

    private static String error(String type, String message) {
        return "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":\"" + message + "\"},"
                + "\"request_id\":\"req_fake\"}";
    }

    private void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            requests.add(new FakeUpstream.Recorded(request.method().name(), request.path(), copy(request.headers()),
                    body.toString()));
            HttpServerResponse response = request.response().putHeader("content-type", "application/json")
                    .putHeader("request-id", "req_fake");
            if (!request.path().equals("/v1/messages") || request.method() != io.vertx.core.http.HttpMethod.POST) {
                response.setStatusCode(404).end(error("not_found_error", "Not found"));
                return;
            }
            if (secret != null && !secret.equals(request.getHeader("x-api-key"))) {
                response.setStatusCode(401).end(error("authentication_error", "invalid x-api-key"));
                return;
            }
            if (!VERSIONS.contains(String.valueOf(request.getHeader("anthropic-version")))) {
                response.setStatusCode(400).end(error("invalid_request_error", "anthropic-version: header is required"));
                return;
            }
            switch (mode) {
                case HTTP_ERROR -> response.setStatusCode(errorStatus).end(errorBody);
                case OVERLOADED -> response.setStatusCode(529).end(error("overloaded_error", "Overloaded"));
                default -> answer(body.toString(), response);
            }
        });
    }

    private void answer(String body, HttpServerResponse response) {
        JsonNode req;
        try {
            req = MAPPER.readTree(body);
        } catch (Exception e) {
            response.setStatusCode(400).end(error("invalid_request_error", "invalid JSON"));
            return;
        }
        if (!req.path("max_tokens").isIntegralNumber() || !req.path("model").isTextual()) {
            response.setStatusCode(400).end(error("invalid_request_error", "max_tokens: Field required"));
            return;
        }
        String model = req.path("model").asText();
        String text = lastUserText(req);
        String echo = "echo: " + text;
        boolean callTool = req.path("tools").size() > 0 && text.contains("weather");
        String toolName = callTool ? req.path("tools").path(0).path("name").asText() : null;
        String[] pieces = mode == Mode.LONG_STREAM ? java.util.Collections.nCopies(LONG_STREAM_DELTAS, "x ")
                .toArray(new String[0]) : echo.split("(?<= )");
        if (!req.path("stream").asBoolean(false)) {
            ObjectNode out = MAPPER.createObjectNode().put("id", "msg_fake").put("type", "message")
                    .put("role", "assistant").put("model", model);
            ArrayNode content = out.putArray("content");
            content.addObject().put("type", "text").put("text", echo);
            if (callTool) {
                content.addObject().put("type", "tool_use").put("id", "toolu_fake").put("name", toolName)
                        .putObject("input").put("city", "Paris");
            }
            out.put("stop_reason", callTool ? "tool_use" : "end_turn").putNull("stop_sequence");
            if (mode != Mode.NO_USAGE) {
                out.putObject("usage").put("input_tokens", INPUT_TOKENS).put("output_tokens", pieces.length)
                        .put("cache_creation_input_tokens", 0).put("cache_read_input_tokens", 0);
            }
            response.end(out.toString());
            return;
        }
        response.setChunked(true).putHeader("content-type", "text/event-stream; charset=utf-8");
        response.closeHandler(v -> {
            if (!response.ended()) {
                streamsCutByClient.incrementAndGet();
            }
        });
        long gap = mode == Mode.LONG_STREAM ? 20 : 3;
        List<String> events = new ArrayList<>();
        ObjectNode message = MAPPER.createObjectNode().put("id", "msg_fake").put("type", "message")
                .put("role", "assistant").put("model", model);
        message.putArray("content");
        message.putNull("stop_reason").putNull("stop_sequence");
        if (mode != Mode.NO_USAGE) {
            message.putObject("usage").put("input_tokens", INPUT_TOKENS).put("output_tokens", 1)
                    .put("cache_creation_input_tokens", 0).put("cache_read_input_tokens", 0);
        }
        events.add(event("message_start", MAPPER.createObjectNode().put("type", "message_start").set("message", message)));
        events.add(event("content_block_start", MAPPER.createObjectNode().put("type", "content_block_start").put("index", 0)
                .set("content_block", MAPPER.createObjectNode().put("type", "text").put("text", ""))));
        events.add(event("ping", MAPPER.createObjectNode().put("type", "ping")));
        for (int i = 0; i < pieces.length; i++) {
            events.add(event("content_block_delta", MAPPER.createObjectNode().put("type", "content_block_delta")
                    .put("index", 0).set("delta", MAPPER.createObjectNode().put("type", "text_delta").put("text", pieces[i]))));
            if (i == 0 && mode == Mode.UNKNOWN_EVENT) {
                events.add(event("future_event_type", MAPPER.createObjectNode().put("type", "future_event_type")
                        .put("detail", "clients must ignore this")));
            }
            if (i == 0 && mode == Mode.ERROR_EVENT) {
                events.add(event("error", (ObjectNode) readTree(error("overloaded_error", "Overloaded"))));
                send(response, events, 0, gap);
                return;
            }
        }
        events.add(event("content_block_stop", MAPPER.createObjectNode().put("type", "content_block_stop").put("index", 0)));
        if (callTool) {
            ObjectNode block = MAPPER.createObjectNode().put("type", "tool_use").put("id", "toolu_fake").put("name", toolName);
            block.putObject("input");
            events.add(event("content_block_start", MAPPER.createObjectNode().put("type", "content_block_start")
                    .put("index", 1).set("content_block", block)));
            for (String part : new String[] {"{\"city\": ", "\"Paris\"}"}) {
                events.add(event("content_block_delta", MAPPER.createObjectNode().put("type", "content_block_delta")
                        .put("index", 1).set("delta", MAPPER.createObjectNode().put("type", "input_json_delta")
                                .put("partial_json", part))));
            }
            events.add(event("content_block_stop", MAPPER.createObjectNode().put("type", "content_block_stop").put("index", 1)));
        }
        if (mode == Mode.CUT_BEFORE_STOP) {
            send(response, events, 0, gap);
            return;
        }
        ObjectNode delta = MAPPER.createObjectNode().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", callTool ? "tool_use" : "end_turn").putNull("stop_sequence");
        if (mode != Mode.NO_USAGE) {
            delta.putObject("usage").put("output_tokens", pieces.length);
        }
        events.add(event("message_delta", delta));
        events.add(event("message_stop", MAPPER.createObjectNode().put("type", "message_stop")));
        send(response, events, 0, gap);
    }

    private void send(HttpServerResponse response, List<String> events, int index, long gap) {
        if (response.closed()) {
            return;
        }
        if (index == events.size()) {
            response.end();
            return;
        }
        response.write(events.get(index));
        vertx.setTimer(gap, t -> send(response, events, index + 1, gap));
    }

    private static JsonNode readTree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String event(String type, ObjectNode data) {
        return "event: " + type + "\ndata: " + data + "\n\n";
    }

    private static String lastUserText(JsonNode req) {
        String text = "";
        for (JsonNode message : req.path("messages")) {
            if (!message.path("role").asText().equals("user")) {
                continue;
            }
            JsonNode content = message.path("content");
            if (content.isTextual()) {
                text = content.asText();
            } else {
                for (JsonNode block : content) {
                    if (block.path("type").asText().equals("text")) {
                        text = block.path("text").asText();
                    }
                }
            }
        }
        return text;
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
}
