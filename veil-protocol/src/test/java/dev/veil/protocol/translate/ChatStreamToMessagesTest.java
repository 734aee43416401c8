package dev.veil.protocol.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Chat chunks → the Messages event sequence, and the SSE splitter that feeds it. */
class ChatStreamToMessagesTest {

    private static List<String> types(String events) {
        List<String> types = new ArrayList<>();
        for (String line : events.split("\n")) {
            if (line.startsWith("event: ")) {
                types.add(line.substring(7));
            }
        }
        return types;
    }

    @Test
    void textThenToolCallThenUsage() throws Exception {
        ChatStreamToMessages stream = new ChatStreamToMessages("pub", "msg_1");
        StringBuilder out = new StringBuilder();
        for (String chunk : List.of(
                "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\"\"}}]}}]}",
                "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\":1}\"}}]},\"finish_reason\":\"tool_calls\"}]}",
                "{\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":6,\"total_tokens\":10}}",
                "[DONE]")) {
            out.append(new String(stream.accept(chunk), StandardCharsets.UTF_8));
        }
        assertThat(stream.done()).isTrue();
        assertThat(stream.promptTokens()).isEqualTo(4);
        assertThat(stream.completionTokens()).isEqualTo(6);
        out.append(new String(stream.finish(4, 6), StandardCharsets.UTF_8));
        assertThat(types(out.toString())).containsExactly("message_start", "content_block_start", "content_block_delta",
                "content_block_stop", "content_block_start", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(out).contains("\"model\":\"pub\"").contains("\"type\":\"input_json_delta\"")
                .contains("\"stop_reason\":\"tool_use\"").contains("\"output_tokens\":6").contains("\"index\":1");
    }

    @Test
    void notJsonIsMalformedAndAnEmptyStreamStillStartsAndStops() throws Exception {
        assertThatThrownBy(() -> new ChatStreamToMessages("m", "i").accept("{not json"))
                .isInstanceOf(MessagesTranslation.MalformedAnswer.class);
        String events = new String(new ChatStreamToMessages("m", "i").finish(0, 0), StandardCharsets.UTF_8);
        assertThat(types(events)).containsExactly("message_start", "message_delta", "message_stop");
    }
}
