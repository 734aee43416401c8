package dev.veil.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CompletionCounterTest {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Tokenizer O200K = Tokenizer.named("o200k_base").orElseThrow();

    private static void accept(CompletionCounter counter, String document) {
        byte[] bytes = document.getBytes(StandardCharsets.UTF_8);
        counter.accept(bytes, 0, bytes.length);
    }

    @Test
    void streamDeltasCountAsTheirJoinedText() {
        CompletionCounter counter = new CompletionCounter(JSON, O200K);
        String[] deltas = {"Hel", "lo", ", wor", "ld! How", " are", " you today?"};
        for (String delta : deltas) {
            accept(counter, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                    + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + delta + "\"}}]}");
        }
        assertThat(counter.tokens()).isEqualTo(O200K.count(String.join("", deltas)));
        assertThat(counter.identity()).isEqualTo(new GeneratedText.Identity("chatcmpl-1", 1700000000, "gpt-4o"));
    }

    @Test
    void toolCallsReasoningRefusalsAndCompletionTextCount() {
        CompletionCounter counter = new CompletionCounter(JSON, Tokenizer.ESTIMATE);
        accept(counter, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"abcd\"}}]}");
        accept(counter, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"abcd\","
                + "\"arguments\":\"abcd\"}}]}}]}");
        accept(counter, "{\"choices\":[{\"delta\":{\"refusal\":\"abcd\"}}]}");
        accept(counter, "{\"choices\":[{\"text\":\"abcd\",\"index\":0}]}");
        accept(counter, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"abcd\"}}]}");
        // Six strings of four bytes; the role, ids and indexes are not generated text.
        assertThat(counter.tokens()).isEqualTo(6);
        assertThat(counter.identity()).isEqualTo(GeneratedText.Identity.NONE);
    }

    @Test
    void aBrokenEventCountsWhatWasReadBeforeItBroke() {
        CompletionCounter counter = new CompletionCounter(JSON, O200K);
        accept(counter, "{\"choices\":[{\"delta\":{\"content\":\"hello\"}}]");
        accept(counter, "garbage");
        assertThat(counter.tokens()).isEqualTo(1);
    }
}
