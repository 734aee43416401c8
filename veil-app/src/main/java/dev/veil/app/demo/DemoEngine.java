package dev.veil.app.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A small OpenAI-compatible engine for {@code veil demo}: deterministic text streamed at a realistic token pace (as
 * chat completions, completions and the Responses API), deterministic embeddings, and usage counts. It is labelled as a demo wherever it shows and keeps nothing it is sent.
 */
public final class DemoEngine implements AutoCloseable {

    /** Pause before the first token, like a model's prefill. */
    static final Duration TIME_TO_FIRST_TOKEN = Duration.ofMillis(150);
    /** Pause between tokens: 40 tokens a second. */
    static final Duration TOKEN_GAP = Duration.ofMillis(25);
    /** An answer's natural length: it ends here with {@code finish_reason: "stop"}. */
    static final int ANSWER_TOKENS = 48;
    static final int DEFAULT_DIMENSIONS = 64;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Vertx vertx;
    private final HttpServer server;

    private DemoEngine(Vertx vertx, HttpServer server) {
        this.vertx = vertx;
        this.server = server;
    }

    /** Starts the engine on a free loopback port. */
    public static DemoEngine start() {
        Vertx vertx = Vertx.vertx();
        try {
            HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0).setTcpNoDelay(true))
                    .requestHandler(request -> handle(vertx, request))
                    .listen()
                    .await(10, TimeUnit.SECONDS);
            return new DemoEngine(vertx, server);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("the demo engine failed to start", e);
        }
    }

    /** The OpenAI-compatible base URL, e.g. {@code http://127.0.0.1:41234/v1}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.actualPort() + "/v1";
    }

    @Override
    public void close() {
        try {
            vertx.close().await(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Closing at shutdown; nothing left to do.
        }
    }

    private static void handle(Vertx vertx, HttpServerRequest request) {
        request.body().onSuccess(body -> {
            HttpServerResponse response = request.response();
            try {
                switch (request.path()) {
                    case "/v1/chat/completions" -> complete(vertx, response, JSON.readTree(body.getBytes()), true);
                    case "/v1/completions" -> complete(vertx, response, JSON.readTree(body.getBytes()), false);
                    case "/v1/embeddings" -> embeddings(response, JSON.readTree(body.getBytes()));
                    case "/v1/responses" -> DemoResponses.answer(vertx, response, JSON.readTree(body.getBytes()));
                    default -> error(response, 404, "unknown path");
                }
            } catch (Exception e) {
                error(response, 400, "the demo engine could not read this request");
            }
        });
    }

    private static void complete(Vertx vertx, HttpServerResponse response, JsonNode request, boolean chat) {
        String model = request.path("model").asText("demo");
        int limit = request.path(chat ? "max_completion_tokens" : "max_tokens").asInt(request.path("max_tokens").asInt(0));
        // Like a model: the answer stops on its own ("stop") unless the caller's token limit cuts it first ("length").
        // Clients' typed helpers (the Python SDK's .parse() and .stream()) treat "length" as a failure.
        boolean cut = limit > 0 && limit < ANSWER_TOKENS;
        int maxTokens = cut ? limit : ANSWER_TOKENS;
        String finishReason = cut ? "length" : "stop";
        String prompt = chat ? messagesText(request.path("messages")) : promptText(request.path("prompt"));
        int promptTokens = DemoText.countTokens(prompt) + (chat ? 3 * request.path("messages").size() : 0);
        List<String> tokens = DemoText.tokens(prompt, maxTokens);
        String id = (chat ? "chatcmpl-demo-" : "cmpl-demo-") + Integer.toHexString(prompt.hashCode());
        long created = System.currentTimeMillis() / 1000;
        boolean stream = request.path("stream").asBoolean(false);
        boolean includeUsage = request.path("stream_options").path("include_usage").asBoolean(false);
        if (!stream) {
            long delay = TIME_TO_FIRST_TOKEN.toMillis() + TOKEN_GAP.toMillis() * tokens.size();
            vertx.setTimer(delay, t -> json(response, 200, whole(chat, id, created, model, String.join("", tokens),
                    promptTokens, tokens.size(), finishReason)));
            return;
        }
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        Streamer streamer = new Streamer(vertx, response, chat, id, created, model, tokens, promptTokens, includeUsage,
                finishReason);
        response.closeHandler(v -> streamer.cancel());
        vertx.setTimer(TIME_TO_FIRST_TOKEN.toMillis(), t -> streamer.next());
    }

    /** Emits one event per timer tick until the tokens run out. */
    private static final class Streamer {
        private final Vertx vertx;
        private final HttpServerResponse response;
        private final boolean chat;
        private final String id;
        private final long created;
        private final String model;
        private final List<String> tokens;
        private final int promptTokens;
        private final boolean includeUsage;
        private final String finishReason;
        private int index = -1;
        private boolean cancelled;

        Streamer(Vertx vertx, HttpServerResponse response, boolean chat, String id, long created, String model,
                 List<String> tokens, int promptTokens, boolean includeUsage, String finishReason) {
            this.vertx = vertx;
            this.response = response;
            this.chat = chat;
            this.id = id;
            this.created = created;
            this.model = model;
            this.tokens = tokens;
            this.promptTokens = promptTokens;
            this.includeUsage = includeUsage;
            this.finishReason = finishReason;
        }

        void cancel() {
            cancelled = true;
        }

        void next() {
            if (cancelled || response.closed()) {
                return;
            }
            if (index == -1 && chat) {
                send(chunk(delta("role", "assistant"), null));
            } else if (index >= 0 && index < tokens.size()) {
                send(chunk(chat ? delta("content", tokens.get(index)) : text(tokens.get(index)), null));
            }
            index++;
            if (index < tokens.size()) {
                vertx.setTimer(TOKEN_GAP.toMillis(), t -> next());
                return;
            }
            send(chunk(chat ? JSON.createObjectNode() : text(""), finishReason));
            if (includeUsage) {
                ObjectNode usageChunk = base();
                usageChunk.putArray("choices");
                usageChunk.set("usage", usage(promptTokens, tokens.size()));
                send(usageChunk);
            }
            response.end("data: [DONE]\n\n");
        }

        private ObjectNode base() {
            ObjectNode node = JSON.createObjectNode();
            node.put("id", id);
            node.put("object", chat ? "chat.completion.chunk" : "text_completion");
            node.put("created", created);
            node.put("model", model);
            return node;
        }

        private ObjectNode chunk(ObjectNode choiceBody, String finishReason) {
            ObjectNode node = base();
            ObjectNode choice = node.putArray("choices").addObject();
            choice.put("index", 0);
            if (chat) {
                choice.set("delta", choiceBody);
            } else {
                choice.setAll(choiceBody);
            }
            choice.putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            if (includeUsage) {
                node.putNull("usage");
            }
            return node;
        }

        private static ObjectNode delta(String field, String value) {
            ObjectNode delta = JSON.createObjectNode();
            delta.put(field, value);
            return delta;
        }

        private static ObjectNode text(String value) {
            ObjectNode node = JSON.createObjectNode();
            node.put("text", value);
            return node;
        }

        private void send(ObjectNode event) {
            response.write(Buffer.buffer("data: ").appendString(event.toString()).appendString("\n\n"));
        }
    }

    private static ObjectNode whole(boolean chat, String id, long created, String model, String text, int promptTokens,
                                    int completionTokens, String finishReason) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", id);
        node.put("object", chat ? "chat.completion" : "text_completion");
        node.put("created", created);
        node.put("model", model);
        ObjectNode choice = node.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", text);
        } else {
            choice.put("text", text);
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason);
        node.set("usage", usage(promptTokens, completionTokens));
        return node;
    }

    private static void embeddings(HttpServerResponse response, JsonNode request) throws NoSuchAlgorithmException {
        JsonNode input = request.path("input");
        int dimensions = request.path("dimensions").asInt(DEFAULT_DIMENSIONS);
        if (dimensions <= 0 || dimensions > 4096) {
            dimensions = DEFAULT_DIMENSIONS;
        }
        boolean base64 = "base64".equals(request.path("encoding_format").asText("float"));
        ObjectNode node = JSON.createObjectNode();
        node.put("object", "list");
        ArrayNode data = node.putArray("data");
        int promptTokens = 0;
        List<JsonNode> items = input.isArray() ? iterable(input) : List.of(input);
        for (int i = 0; i < items.size(); i++) {
            String text = items.get(i).isTextual() ? items.get(i).asText() : items.get(i).toString();
            promptTokens += Math.max(1, DemoText.countTokens(text));
            float[] vector = vector(text, dimensions);
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            if (base64) {
                ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : vector) {
                    bytes.putFloat(f);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float f : vector) {
                    values.add(f);
                }
            }
        }
        node.put("model", request.path("model").asText("demo"));
        ObjectNode usage = node.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("total_tokens", promptTokens);
        json(response, 200, node);
    }

    /** A unit vector seeded by the SHA-256 of the text: equal texts give equal vectors. */
    private static float[] vector(String text, int dimensions) throws NoSuchAlgorithmException {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        SplittableRandom random = new SplittableRandom(ByteBuffer.wrap(digest).getLong());
        float[] v = new float[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            v[i] = (float) (random.nextDouble() * 2 - 1);
            norm += v[i] * v[i];
        }
        float scale = (float) (1 / Math.sqrt(norm));
        for (int i = 0; i < dimensions; i++) {
            v[i] *= scale;
        }
        return v;
    }

    private static List<JsonNode> iterable(JsonNode array) {
        List<JsonNode> out = new java.util.ArrayList<>();
        array.forEach(out::add);
        return out;
    }

    private static String messagesText(JsonNode messages) {
        StringBuilder text = new StringBuilder();
        for (JsonNode message : messages) {
            JsonNode content = message.path("content");
            if (content.isTextual()) {
                text.append(content.asText()).append('\n');
            } else if (content.isArray()) {
                for (JsonNode part : content) {
                    text.append(part.path("text").asText("")).append('\n');
                }
            }
        }
        return text.toString();
    }

    private static String promptText(JsonNode prompt) {
        if (prompt.isArray()) {
            StringBuilder text = new StringBuilder();
            prompt.forEach(p -> text.append(p.asText()).append('\n'));
            return text.toString();
        }
        return prompt.asText("");
    }

    private static ObjectNode usage(int prompt, int completion) {
        ObjectNode usage = JSON.createObjectNode();
        usage.put("prompt_tokens", prompt);
        usage.put("completion_tokens", completion);
        usage.put("total_tokens", prompt + completion);
        return usage;
    }

    private static void json(HttpServerResponse response, int status, JsonNode body) {
        if (!response.closed()) {
            response.setStatusCode(status).putHeader("content-type", "application/json").end(body.toString());
        }
    }

    private static void error(HttpServerResponse response, int status, String message) {
        ObjectNode node = JSON.createObjectNode();
        ObjectNode error = node.putObject("error");
        error.put("message", message);
        error.put("type", "invalid_request_error");
        error.putNull("param");
        error.putNull("code");
        json(response, status, node);
    }
}
