package dev.veil.protocol.translate;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The Responses ↔ chat completions translation, request, whole answer and stream, without a server. */
class ResponsesToChatTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode tree(String json) throws Exception {
        return JSON.readTree(json);
    }

    @Test
    void untranslatablePartsAreNamedAndTheRestPasses() throws Exception {
        assertThat(ResponsesToChat.untranslatable(tree("{\"model\":\"m\",\"input\":\"hi\",\"text\":{\"format\":"
                + "{\"type\":\"json_schema\",\"name\":\"a\",\"schema\":{}}},\"tools\":[{\"type\":\"function\",\"name\":\"f\"}],"
                + "\"tool_choice\":\"auto\",\"truncation\":\"disabled\",\"reasoning\":{\"effort\":\"low\"}}"))).isNull();
        assertThat(ResponsesToChat.untranslatable(tree("{\"input\":\"hi\",\"tools\":[{\"type\":\"function\"},"
                + "{\"type\":\"web_search\"}]}"))).isEqualTo("tools[1].type");
        assertThat(ResponsesToChat.untranslatable(tree("{\"input\":\"hi\",\"include\":[\"x\"]}"))).isEqualTo("include");
        assertThat(ResponsesToChat.untranslatable(tree("{\"input\":\"hi\",\"truncation\":\"auto\"}"))).isEqualTo("truncation");
        assertThat(ResponsesToChat.untranslatable(tree("{\"input\":[{\"type\":\"reasoning\"}]}"))).isEqualTo("input[0].type");
        assertThat(ResponsesToChat.untranslatable(tree("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"input_file\"}]}]}"))).isEqualTo("input[0].content[0].type");
        assertThat(ResponsesToChat.untranslatable(tree("{\"input\":\"hi\",\"reasoning\":{\"summary\":\"auto\"}}")))
                .isEqualTo("reasoning.summary");
    }

    @Test
    void aRequestBecomesAChatRequest() throws Exception {
        JsonNode chat = JSON.readTree(ResponsesToChat.request(tree("{\"model\":\"up\",\"instructions\":\"sys\","
                + "\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"look\"},"
                + "{\"type\":\"input_image\",\"image_url\":\"data:image/png;base64,AA\",\"detail\":\"low\"}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"ok\"}]}],"
                + "\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"parameters\":{\"type\":\"object\"},\"strict\":true}],"
                + "\"tool_choice\":{\"type\":\"function\",\"name\":\"f\"},\"text\":{\"format\":{\"type\":\"json_object\"}},"
                + "\"max_output_tokens\":9,\"reasoning\":{\"effort\":\"low\"},\"stream\":true,\"store\":false}")));
        assertThat(chat.path("model").asText()).isEqualTo("up");
        assertThat(chat.path("messages").get(0).toString()).isEqualTo("{\"role\":\"system\",\"content\":\"sys\"}");
        assertThat(chat.path("messages").get(1).path("content").get(1).path("image_url").path("url").asText())
                .isEqualTo("data:image/png;base64,AA");
        assertThat(chat.path("messages").get(2).path("content").asText()).isEqualTo("ok");
        assertThat(chat.path("tools").get(0).path("function").path("strict").asBoolean()).isTrue();
        assertThat(chat.path("tool_choice").path("function").path("name").asText()).isEqualTo("f");
        assertThat(chat.path("response_format").path("type").asText()).isEqualTo("json_object");
        assertThat(chat.path("max_completion_tokens").asInt()).isEqualTo(9);
        assertThat(chat.path("reasoning_effort").asText()).isEqualTo("low");
        assertThat(chat.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(chat.path("store").asBoolean(true)).isFalse();
        assertThat(chat.has("input") || chat.has("instructions") || chat.has("text")).isFalse();
    }

    @Test
    void aWholeAnswerBecomesAResponse() throws Exception {
        byte[] answer = ("{\"id\":\"c1\",\"created\":5,\"model\":\"up\",\"choices\":[{\"index\":0,\"finish_reason\":\"length\","
                + "\"message\":{\"role\":\"assistant\",\"content\":\"hi\"}}],\"usage\":{\"prompt_tokens\":4,"
                + "\"completion_tokens\":1,\"total_tokens\":5}}").getBytes(StandardCharsets.UTF_8);
        JsonNode response = JSON.readTree(ResponsesToChat.response(answer, "public-model", new TokenCounts(4, 1)));
        assertThat(response.path("object").asText()).isEqualTo("response");
        assertThat(response.path("model").asText()).isEqualTo("public-model");
        assertThat(response.path("status").asText()).isEqualTo("incomplete");
        assertThat(response.path("incomplete_details").path("reason").asText()).isEqualTo("max_output_tokens");
        assertThat(response.path("output").get(0).path("content").get(0).path("text").asText()).isEqualTo("hi");
        assertThat(response.path("usage").path("input_tokens").asInt()).isEqualTo(4);
        assertThat(response.path("usage").path("output_tokens").asInt()).isEqualTo(1);
    }

    @Test
    void aChatStreamBecomesTheResponsesEventSequenceWithGaplessSequenceNumbers() throws Exception {
        ChatToResponsesStream stream = new ChatToResponsesStream("public-model");
        StringBuilder out = new StringBuilder();
        out.append(new String(stream.accept(bytes("data: {\"id\":\"c1\",\"created\":5,\"choices\":[{\"index\":0,\"delta\":"
                + "{\"role\":\"assistant\",\"content\":\"\"}}]}\n\ndata: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":"
                + "{\"content\":\"He\"}}]}\n\n")), StandardCharsets.UTF_8));
        // An event split across reads never reaches the translator: the relay's filter passes whole events only.
        out.append(new String(stream.accept(bytes("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":"
                + "[{\"index\":0,\"id\":\"call_9\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n"
                + "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"llo\",\"tool_calls\":[{\"index\":0,"
                + "\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n")), StandardCharsets.UTF_8));
        out.append(new String(stream.finish(new TokenCounts(3, 2)), StandardCharsets.UTF_8));
        List<JsonNode> events = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (String event : out.toString().split("\n\n")) {
            String[] lines = event.split("\n");
            JsonNode data = JSON.readTree(lines[1].substring("data: ".length()));
            assertThat(lines[0]).isEqualTo("event: " + data.path("type").asText());
            events.add(data);
            types.add(data.path("type").asText());
        }
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).path("sequence_number").asLong()).isEqualTo(i);
        }
        assertThat(types).containsExactly("response.created", "response.in_progress", "response.output_item.added",
                "response.content_part.added", "response.output_text.delta", "response.output_item.added",
                "response.function_call_arguments.delta", "response.output_text.delta",
                "response.function_call_arguments.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.function_call_arguments.done", "response.output_item.done",
                "response.completed");
        JsonNode completed = events.get(events.size() - 1).path("response");
        assertThat(completed.path("model").asText()).isEqualTo("public-model");
        assertThat(completed.path("output").get(0).path("content").get(0).path("text").asText()).isEqualTo("Hello");
        assertThat(completed.path("output").get(1).path("arguments").asText()).isEqualTo("{\"a\":1}");
        assertThat(completed.path("output").get(1).path("call_id").asText()).isEqualTo("call_9");
        assertThat(completed.path("usage").path("total_tokens").asInt()).isEqualTo(5);
        assertThat(stream.sequence()).isEqualTo(events.size());
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
