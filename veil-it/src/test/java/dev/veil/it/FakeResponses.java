package dev.veil.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link FakeUpstream}'s OpenAI Responses API ({@code POST /responses}), as OpenAI's own server answers it: a
 * {@code response} object with {@code output} items and {@code usage} in {@code input_tokens}/{@code output_tokens};
 * streams of typed events ({@code event: <type>} and a {@code data} object with {@code type} and
 * {@code sequence_number}) from {@code response.created} to {@code response.completed}, with no {@code [DONE]}. It
 * echoes the last user text; with {@code tools} it calls the first function; with a {@code json_schema} text format
 * it answers a JSON object. Modes: {@code END_WITHOUT_DONE} ends before {@code response.completed},
 * {@code RESET_MID_STREAM} resets after two events, {@code NO_USAGE} sends {@code usage: null}.
 */
final class FakeResponses {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final int INPUT_TOKENS = 13;

    private FakeResponses() {
    }

    static void answer(Vertx vertx, FakeUpstream fake, JsonNode req, HttpServerResponse response,
                       FakeUpstream.Mode mode, long gapMillis) {
        String model = req.path("model").asText();
        JsonNode tools = req.path("tools");
        boolean callTool = tools.isArray() && !tools.isEmpty();
        boolean json = "json_schema".equals(req.path("text").path("format").path("type").asText());
        String echo = "echo: " + lastUserText(req.path("input"));
        String text = json ? "{\"answer\":\"" + echo.replace("\"", "'") + "\"}" : echo;
        boolean usage = mode != FakeUpstream.Mode.NO_USAGE;
        if (!req.path("stream").asBoolean(false)) {
            ObjectNode out = response(model, "completed", req);
            ArrayNode output = out.putArray("output");
            if (callTool) {
                output.add(functionCall(tools.path(0).path("name").asText(), "{\"city\":\"Paris\"}", "completed"));
            } else {
                output.add(message(text, "completed"));
            }
            if (usage) {
                out.set("usage", usage(INPUT_TOKENS, 3));
            }
            response.putHeader("content-type", "application/json").end(out.toString());
            return;
        }
        response.setChunked(true).putHeader("content-type", "text/event-stream");
        fake.streamStarted(response);
        List<ObjectNode> events = new ArrayList<>();
        ObjectNode created = response(model, "in_progress", req);
        created.putArray("output");
        created.putNull("usage");
        events.add(event("response.created").set("response", created));
        events.add(event("response.in_progress").set("response", created.deepCopy()));
        String[] pieces;
        ObjectNode doneItem;
        if (callTool) {
            String name = tools.path(0).path("name").asText();
            String args = "{\"city\":\"Paris\"}";
            events.add(event("response.output_item.added").put("output_index", 0)
                    .set("item", functionCall(name, "", "in_progress")));
            pieces = new String[] {"{\"city\":", "\"Paris\"}"};
            for (String piece : pieces) {
                events.add(event("response.function_call_arguments.delta").put("item_id", "fc_fake").put("output_index", 0)
                        .put("delta", piece));
            }
            events.add(event("response.function_call_arguments.done").put("item_id", "fc_fake").put("output_index", 0)
                    .put("arguments", args));
            doneItem = functionCall(name, args, "completed");
        } else {
            events.add(event("response.output_item.added").put("output_index", 0).set("item", message("", "in_progress")
                    .putArray("content")));
            events.add(event("response.content_part.added").put("item_id", "msg_fake").put("output_index", 0)
                    .put("content_index", 0).set("part", outputText("")));
            pieces = text.split("(?<= )");
            boolean first = true;
            for (String piece : pieces) {
                events.add(event("response.output_text.delta").put("item_id", "msg_fake").put("output_index", 0)
                        .put("content_index", 0).put("delta", piece));
                if (first && fake.extraEventType() != null) {
                    events.add(event(fake.extraEventType()).put("note", "a type no client knows yet"));
                }
                first = false;
            }
            events.add(event("response.output_text.done").put("item_id", "msg_fake").put("output_index", 0)
                    .put("content_index", 0).put("text", text));
            events.add(event("response.content_part.done").put("item_id", "msg_fake").put("output_index", 0)
                    .put("content_index", 0).set("part", outputText(text)));
            doneItem = message(text, "completed");
        }
        events.add(event("response.output_item.done").put("output_index", 0).set("item", doneItem));
        ObjectNode completed = response(model, "completed", req);
        completed.putArray("output").add(doneItem.deepCopy());
        if (usage) {
            completed.set("usage", usage(INPUT_TOKENS, pieces.length));
        } else {
            completed.putNull("usage");
        }
        events.add(event("response.completed").set("response", completed));
        send(vertx, response, events, 0, mode, Math.max(1, gapMillis));
    }

    private static void send(Vertx vertx, HttpServerResponse response, List<ObjectNode> events, int index,
                             FakeUpstream.Mode mode, long gapMillis) {
        if (response.closed()) {
            return;
        }
        if (mode == FakeUpstream.Mode.RESET_MID_STREAM && index == 2) {
            response.reset();
            return;
        }
        int last = events.size() - 1;
        if (index == last && mode == FakeUpstream.Mode.END_WITHOUT_DONE) {
            response.end();
            return;
        }
        ObjectNode event = events.get(index).put("sequence_number", index);
        String frame = "event: " + event.path("type").asText() + "\ndata: " + event + "\n\n";
        if (index == last) {
            response.end(frame);
            return;
        }
        response.write(frame);
        vertx.setTimer(gapMillis, t -> send(vertx, response, events, index + 1, mode, gapMillis));
    }

    private static ObjectNode event(String type) {
        return MAPPER.createObjectNode().put("type", type);
    }

    private static ObjectNode response(String model, String status, JsonNode req) {
        ObjectNode r = MAPPER.createObjectNode().put("id", "resp_fake").put("object", "response").put("created_at", 1)
                .put("status", status).put("model", model);
        r.putNull("error");
        r.putNull("incomplete_details");
        r.putNull("instructions");
        r.putObject("metadata");
        r.put("parallel_tool_calls", true).put("temperature", 1.0).put("top_p", 1.0).put("tool_choice", "auto");
        r.set("tools", req.path("tools").isArray() ? req.path("tools").deepCopy() : MAPPER.createArrayNode());
        r.put("store", req.path("store").asBoolean(true));
        r.putObject("text").set("format", req.path("text").path("format").isObject()
                ? req.path("text").path("format").deepCopy() : MAPPER.createObjectNode().put("type", "text"));
        return r;
    }

    private static ObjectNode message(String text, String status) {
        ObjectNode m = MAPPER.createObjectNode().put("type", "message").put("id", "msg_fake").put("status", status)
                .put("role", "assistant");
        m.putArray("content").add(outputText(text));
        return m;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = MAPPER.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        return part;
    }

    private static ObjectNode functionCall(String name, String arguments, String status) {
        return MAPPER.createObjectNode().put("type", "function_call").put("id", "fc_fake").put("call_id", "call_fake")
                .put("name", name).put("arguments", arguments).put("status", status);
    }

    private static ObjectNode usage(int input, int output) {
        ObjectNode u = MAPPER.createObjectNode().put("input_tokens", input);
        u.putObject("input_tokens_details").put("cached_tokens", 0);
        u.put("output_tokens", output);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", input + output);
        return u;
    }

    /** The text of the last user item of {@code input}: a string, or an array of messages (string or part content). */
    private static String lastUserText(JsonNode input) {
        if (input.isTextual()) {
            return input.asText();
        }
        String text = "";
        for (JsonNode item : input) {
            if (!"user".equals(item.path("role").asText())) {
                continue;
            }
            JsonNode content = item.path("content");
            text = content.isTextual() ? content.asText() : content.path(0).path("text").asText(text);
        }
        return text;
    }
}
