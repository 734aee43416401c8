package dev.veil.app.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * The demo engine's OpenAI Responses API ({@code POST /v1/responses}): the same deterministic text as its chat
 * completions, as a {@code response} object, or streamed as typed events from {@code response.created} to
 * {@code response.completed} (no {@code [DONE]}), at the engine's token pace. Text only: tools are not called.
 */
final class DemoResponses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private DemoResponses() {
    }

    static void answer(Vertx vertx, HttpServerResponse response, JsonNode request) {
        String model = request.path("model").asText("demo");
        int limit = request.path("max_output_tokens").asInt(0);
        boolean cut = limit > 0 && limit < DemoEngine.ANSWER_TOKENS;
        String prompt = inputText(request.path("input")) + request.path("instructions").asText("");
        int inputTokens = DemoText.countTokens(prompt) + 3;
        List<String> tokens = DemoText.tokens(prompt, cut ? limit : DemoEngine.ANSWER_TOKENS);
        String id = "resp_demo" + Integer.toHexString(prompt.hashCode());
        long created = System.currentTimeMillis() / 1000;
        if (!request.path("stream").asBoolean(false)) {
            long delay = DemoEngine.TIME_TO_FIRST_TOKEN.toMillis() + DemoEngine.TOKEN_GAP.toMillis() * tokens.size();
            ObjectNode whole = response(id, created, model, cut ? "incomplete" : "completed");
            whole.putArray("output").add(message(String.join("", tokens), "completed"));
            whole.set("usage", usage(inputTokens, tokens.size()));
            vertx.setTimer(delay, t -> {
                if (!response.closed()) {
                    response.putHeader("content-type", "application/json").end(whole.toString());
                }
            });
            return;
        }
        response.setChunked(true).putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
        Streamer streamer = new Streamer(vertx, response, id, created, model, tokens, inputTokens, cut);
        response.closeHandler(v -> streamer.cancelled = true);
        vertx.setTimer(DemoEngine.TIME_TO_FIRST_TOKEN.toMillis(), t -> streamer.next());
    }

    /** One event per timer tick: the opening events, a delta per token, then the closing events. */
    private static final class Streamer {
        private final Vertx vertx;
        private final HttpServerResponse response;
        private final String id;
        private final long created;
        private final String model;
        private final List<String> tokens;
        private final int inputTokens;
        private final boolean cut;
        private int index = -1;
        private int sequence;
        boolean cancelled;

        Streamer(Vertx vertx, HttpServerResponse response, String id, long created, String model, List<String> tokens,
                 int inputTokens, boolean cut) {
            this.vertx = vertx;
            this.response = response;
            this.id = id;
            this.created = created;
            this.model = model;
            this.tokens = tokens;
            this.inputTokens = inputTokens;
            this.cut = cut;
        }

        void next() {
            if (cancelled || response.closed()) {
                return;
            }
            if (index == -1) {
                ObjectNode opening = response(id, created, model, "in_progress");
                opening.putArray("output");
                opening.putNull("usage");
                send(event("response.created").set("response", opening));
                send(event("response.in_progress").set("response", opening));
                send(event("response.output_item.added").put("output_index", 0).set("item", message("", "in_progress")));
                send(event("response.content_part.added").put("item_id", "msg_demo").put("output_index", 0)
                        .put("content_index", 0).set("part", outputText("")));
            } else if (index < tokens.size()) {
                send(event("response.output_text.delta").put("item_id", "msg_demo").put("output_index", 0)
                        .put("content_index", 0).put("delta", tokens.get(index)));
            }
            index++;
            if (index < tokens.size()) {
                vertx.setTimer(DemoEngine.TOKEN_GAP.toMillis(), t -> next());
                return;
            }
            String text = String.join("", tokens);
            send(event("response.output_text.done").put("item_id", "msg_demo").put("output_index", 0)
                    .put("content_index", 0).put("text", text));
            send(event("response.content_part.done").put("item_id", "msg_demo").put("output_index", 0)
                    .put("content_index", 0).set("part", outputText(text)));
            ObjectNode item = message(text, "completed");
            send(event("response.output_item.done").put("output_index", 0).set("item", item));
            ObjectNode done = response(id, created, model, cut ? "incomplete" : "completed");
            done.putArray("output").add(item);
            done.set("usage", usage(inputTokens, tokens.size()));
            ObjectNode last = event(cut ? "response.incomplete" : "response.completed");
            last.set("response", done);
            last.put("sequence_number", sequence++);
            response.end(frame(last));
        }

        private ObjectNode event(String type) {
            return JSON.createObjectNode().put("type", type);
        }

        private void send(ObjectNode event) {
            event.put("sequence_number", sequence++);
            response.write(frame(event));
        }

        private static Buffer frame(ObjectNode event) {
            return Buffer.buffer("event: " + event.path("type").asText() + "\ndata: " + event + "\n\n");
        }
    }

    private static ObjectNode response(String id, long created, String model, String status) {
        ObjectNode r = JSON.createObjectNode().put("id", id).put("object", "response").put("created_at", created)
                .put("status", status).put("model", model);
        r.putNull("error");
        r.putNull("incomplete_details");
        r.putNull("instructions");
        r.putObject("metadata");
        r.put("parallel_tool_calls", true).put("temperature", 1.0).put("top_p", 1.0).put("tool_choice", "auto");
        r.putArray("tools");
        r.put("store", false);
        r.putObject("text").putObject("format").put("type", "text");
        return r;
    }

    private static ObjectNode message(String text, String status) {
        ObjectNode m = JSON.createObjectNode().put("type", "message").put("id", "msg_demo").put("status", status)
                .put("role", "assistant");
        m.putArray("content").add(outputText(text));
        return m;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = JSON.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    private static ObjectNode usage(int input, int output) {
        ObjectNode u = JSON.createObjectNode().put("input_tokens", input);
        u.putObject("input_tokens_details").put("cached_tokens", 0);
        u.put("output_tokens", output);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", input + output);
        return u;
    }

    /** The text of {@code input}: a string, or the text parts of an array of message items. */
    private static String inputText(JsonNode input) {
        if (input.isTextual()) {
            return input.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode item : input) {
            JsonNode content = item.path("content");
            if (content.isTextual()) {
                text.append(content.asText()).append('\n');
            } else {
                content.forEach(part -> text.append(part.path("text").asText("")).append('\n'));
            }
        }
        return text.toString();
    }
}
