package dev.veil.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PromptCounterTest {

    private static final PromptCounter COUNTER = new PromptCounter(new JsonFactory());
    private static final Tokenizer O200K = Tokenizer.named("o200k_base").orElseThrow();

    private static long count(String body, Tokenizer tokenizer) {
        return COUNTER.count(body.getBytes(StandardCharsets.UTF_8), tokenizer);
    }

    @Test
    void chatMessagesCountAsTheCookbookDoes() {
        String body = """
                {"model":"m","stream":true,"messages":[
                  {"role":"system","content":"You are terse."},
                  {"role":"user","name":"ada","content":"Say hello to the world."}]}""";
        long expected = 3 + O200K.count("system") + O200K.count("You are terse.")
                + 3 + O200K.count("user") + O200K.count("ada") + 1 + O200K.count("Say hello to the world.")
                + 3;
        assertThat(count(body, O200K)).isEqualTo(expected);
    }

    @Test
    void contentPartsAndToolCallsCountTheirText() {
        String body = """
                {"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},
                  {"type":"image_url","image_url":{"url":"https://example.test/a.png"}}]},
                 {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function",
                  "function":{"name":"look","arguments":"{\\"q\\":1}"}}]}],"model":"m"}""";
        long expected = 3 + O200K.count("user") + O200K.count("What is this?")
                + 3 + O200K.count("assistant") + O200K.count("look") + O200K.count("{\"q\":1}")
                + 3;
        assertThat(count(body, O200K)).isEqualTo(expected);
    }

    @Test
    void toolDefinitionsCountAsTheirJsonText() {
        String tools = "[{\"type\":\"function\",\"function\":{\"name\":\"look\",\"parameters\":{}}}]";
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":" + tools + "}";
        long expected = 3 + O200K.count("user") + O200K.count("hi") + 3 + O200K.count(tools);
        assertThat(count(body, O200K)).isEqualTo(expected);
    }

    @Test
    void promptsAndInputsAreTextOrTokenIds() {
        assertThat(count("{\"model\":\"m\",\"prompt\":\"hello world\"}", O200K)).isEqualTo(2);
        assertThat(count("{\"model\":\"m\",\"input\":[\"hello world\",\"hello\"]}", O200K)).isEqualTo(3);
        assertThat(count("{\"model\":\"m\",\"input\":[1,2,3]}", O200K)).isEqualTo(3);
        assertThat(count("{\"model\":\"m\",\"input\":[[1,2],[3]]}", O200K)).isEqualTo(3);
    }

    @Test
    void theEstimateSumsTextBytesAndKeepsTheOverheads() {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"abcdefgh\"}]}";
        // "user" + "abcdefgh" = 12 bytes = 3 tokens; 3 per message, 3 for the reply.
        assertThat(count(body, Tokenizer.ESTIMATE)).isEqualTo(9);
    }

    @Test
    void notJsonCountsNothing() {
        assertThat(count("not json", O200K)).isZero();
        assertThat(count("[]", O200K)).isZero();
    }
}
