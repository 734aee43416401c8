package dev.veil.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageChunkTest {

    private static final UsageChunk CHUNKS = new UsageChunk(new JsonFactory());

    @Test
    void continuesTheStreamsOwnIdentityWithTheModelTheClientAskedFor() {
        String event = new String(CHUNKS.event(new GeneratedText.Identity("chatcmpl-9", 1700000000, "gpt-4o"), "req_1",
                true, "public", 20, 5, true), StandardCharsets.UTF_8);
        assertThat(event).isEqualTo("data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"public\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":5,"
                + "\"total_tokens\":25,\"estimated\":true}}\n\n");
    }

    @Test
    void makesUpWhatTheStreamDidNotSay() {
        String event = new String(CHUNKS.event(GeneratedText.Identity.NONE, "req_1", false, "public", 1, 2, true),
                StandardCharsets.UTF_8);
        assertThat(event).startsWith("data: {\"id\":\"cmpl-req_1\",\"object\":\"text_completion\",\"created\":")
                .contains("\"model\":\"public\"").endsWith("\n\n");
        assertThat(new String(UsageChunk.done(), StandardCharsets.US_ASCII)).isEqualTo("data: [DONE]\n\n");
    }
}
