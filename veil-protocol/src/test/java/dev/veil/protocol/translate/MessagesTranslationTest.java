package dev.veil.protocol.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The Messages → chat request translation and the chat → Messages whole answer, table by table (docs/anthropic.md). */
class MessagesTranslationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode translate(String body) throws Exception {
        return MessagesTranslation.MAPPER.readTree(MessagesTranslation.bytes(MessagesTranslation.request(body.getBytes(StandardCharsets.UTF_8))));
    }

    private static MessagesTranslation.Untranslatable refused(String body) {
        try {
            MessagesTranslation.request(body.getBytes(StandardCharsets.UTF_8));
        } catch (MessagesTranslation.Untranslatable e) {
            return e;
        }
        throw new AssertionError("translated what should be refused");
    }

    @Test
    void parametersSystemPromptAndStream() throws Exception {
        JsonNode chat = translate("{\"model\":\"m\",\"max_tokens\":100,\"temperature\":0.30000000000000000000000000001,"
                + "\"top_p\":0.9,\"stop_sequences\":[\"END\"],\"stream\":true,\"metadata\":{\"user_id\":\"u1\"},"
                + "\"privacy\":{\"zdr\":true},\"system\":[{\"type\":\"text\",\"text\":\"be brief\","
                + "\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(chat.has("model")).as("set per route").isFalse();
        assertThat(chat.path("max_tokens").asInt()).isEqualTo(100);
        assertThat(chat.path("temperature").decimalValue().toPlainString()).isEqualTo("0.30000000000000000000000000001");
        assertThat(chat.path("top_p").asDouble()).isEqualTo(0.9);
        assertThat(chat.path("stop").path(0).asText()).isEqualTo("END");
        assertThat(chat.path("stream").asBoolean()).isTrue();
        assertThat(chat.path("stream_options").path("include_usage").asBoolean()).isTrue();
        assertThat(chat.has("metadata")).isFalse();
        assertThat(chat.has("privacy")).isFalse();
        assertThat(chat.path("messages").path(0).path("role").asText()).isEqualTo("system");
        assertThat(chat.path("messages").path(0).path("content").path(0).path("text").asText()).isEqualTo("be brief");
        assertThat(chat.path("messages").path(0).path("content").path(0).has("cache_control")).isFalse();
        assertThat(chat.path("messages").path(1).path("content").asText()).isEqualTo("hi");
    }

    @Test
    void imagesToolsAndToolResults() throws Exception {
        JsonNode chat = translate("{\"model\":\"m\",\"max_tokens\":10,"
                + "\"tools\":[{\"name\":\"f\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"}}],"
                + "\"tool_choice\":{\"type\":\"tool\",\"name\":\"f\"},"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"look\"},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"AAAA\"}}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\",\"signature\":\"s\"},"
                + "{\"type\":\"text\",\"text\":\"calling\"},{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"f\",\"input\":{\"a\":1}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t1\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}]}]}");
        assertThat(chat.path("tools").path(0).path("function").path("parameters").path("type").asText()).isEqualTo("object");
        assertThat(chat.path("tool_choice").path("function").path("name").asText()).isEqualTo("f");
        JsonNode messages = chat.path("messages");
        assertThat(messages.path(0).path("content").path(1).path("image_url").path("url").asText())
                .isEqualTo("data:image/png;base64,AAAA");
        assertThat(messages.path(1).path("content").asText()).as("thinking dropped").isEqualTo("calling");
        assertThat(messages.path(1).path("tool_calls").path(0).path("function").path("arguments").asText())
                .isEqualTo("{\"a\":1}");
        assertThat(messages.path(2).path("role").asText()).isEqualTo("tool");
        assertThat(messages.path(2).path("content").asText()).isEqualTo("ok");
        assertThat(messages.size()).isEqualTo(3);
        assertThat(translate("{\"model\":\"m\",\"max_tokens\":1,\"tool_choice\":{\"type\":\"any\"},\"messages\":[]}")
                .path("tool_choice").asText()).isEqualTo("required");
    }

    @Test
    void refusalsNameTheField() {
        assertThat(refused("{\"model\":\"m\",\"max_tokens\":1,\"top_k\":3,\"messages\":[]}").param()).isEqualTo("top_k");
        assertThat(refused("{\"model\":\"m\",\"max_tokens\":1,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
                + "\"messages\":[]}").param()).isEqualTo("thinking");
        assertThat(refused("{\"model\":\"m\",\"max_tokens\":1,\"tools\":[{\"type\":\"web_search_20250305\",\"name\":\"w\"}],"
                + "\"messages\":[]}").param()).isEqualTo("tools[0].type");
        assertThat(refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"document\",\"source\":{}}]}]}").param()).isEqualTo("messages[0].content[0].type");
        assertThat(refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"system\",\"content\":\"x\"}]}")
                .param()).isEqualTo("messages[0].role");
        // A block type that is not a parameter name is not repeated.
        assertThat(refused("{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"SECRET text\"}]}]}").getMessage()).doesNotContain("SECRET");
        // Extended thinking switched off translates (it is the default).
        assertThatThrownBy(() -> refused("{\"model\":\"m\",\"max_tokens\":1,\"thinking\":{\"type\":\"disabled\"},"
                + "\"messages\":[]}")).isInstanceOf(AssertionError.class);
    }

    @Test
    void wholeAnswers() throws Exception {
        byte[] answer = MessagesTranslation.response(("{\"id\":\"x\",\"choices\":[{\"index\":0,\"finish_reason\":\"length\","
                + "\"message\":{\"role\":\"assistant\",\"content\":\"partial\",\"tool_calls\":[{\"id\":\"c\",\"type\":"
                + "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":[1,2]}\"}}]}}]}")
                .getBytes(StandardCharsets.UTF_8), "public-model", "msg_1", 7, 5);
        JsonNode message = JSON.readTree(answer);
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("model").asText()).isEqualTo("public-model");
        assertThat(message.path("content").path(0).path("text").asText()).isEqualTo("partial");
        assertThat(message.path("content").path(1).path("input").path("a").path(1).asInt()).isEqualTo(2);
        assertThat(message.path("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(message.path("usage").path("input_tokens").asInt()).isEqualTo(7);
        assertThatThrownBy(() -> MessagesTranslation.response(("{\"choices\":[{\"message\":{\"tool_calls\":[{\"function\":"
                + "{\"name\":\"f\",\"arguments\":\"not json\"}}]}}]}").getBytes(StandardCharsets.UTF_8), "m", "i", 0, 0))
                .isInstanceOf(MessagesTranslation.MalformedAnswer.class);
        assertThat(MessagesTranslation.stopReason("tool_calls")).isEqualTo("tool_use");
        assertThat(MessagesTranslation.stopReason("content_filter")).isEqualTo("refusal");
        assertThat(MessagesTranslation.stopReason(null)).isEqualTo("end_turn");
    }
}
