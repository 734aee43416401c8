package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.tokens.CompletionCounter;
import dev.veil.tokens.Tokenizer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageCounterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Tokenizer ESTIMATE = Tokenizer.ESTIMATE;
    private static final String CONTENT = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n";
    private static final String USAGE_ONLY =
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n";

    @Test
    void dropsTheUsageOnlyEventUnlessAskedButAlwaysCountsIt() {
        UsageCounter notAsked = counter(false);
        assertThat(notAsked.acceptEvent(bytes(CONTENT))).isTrue();
        assertThat(notAsked.acceptEvent(bytes(USAGE_ONLY))).isFalse();
        assertThat(notAsked.acceptEvent(bytes("data: [DONE]\n\n"))).isTrue();
        assertThat(notAsked.promptTokens()).isEqualTo(5);
        assertThat(notAsked.completionTokens()).isEqualTo(2);
        assertThat(notAsked.ended()).isTrue();

        UsageCounter asked = counter(true);
        assertThat(asked.acceptEvent(bytes(USAGE_ONLY))).isTrue();
        assertThat(asked.completionTokens()).isEqualTo(2);
    }

    @Test
    void aChunkWithChoicesAndNullUsageIsForwarded() {
        UsageCounter counter = counter(false);

        assertThat(counter.acceptEvent(bytes("data: {\"choices\":[{\"delta\":{}}],\"usage\":null}\n\n"))).isTrue();
        assertThat(counter.completionTokens()).as("an empty delta generated nothing").isZero();
    }

    @Test
    void withoutUsageCountsTheGeneratedTextNotTheEvents() {
        UsageCounter counter = counter(false);
        for (int i = 0; i < 8; i++) {
            counter.acceptEvent(bytes(CONTENT));
        }
        counter.acceptEvent(bytes(": keep-alive comment\n\n"));

        assertThat(counter.estimated()).isTrue();
        assertThat(counter.promptTokens()).isZero();
        // Eight one-byte deltas: two tokens by the byte estimate, not eight.
        assertThat(counter.completionTokens()).isEqualTo(2);
        assertThat(counter.ended()).isFalse();
    }

    @Test
    void withoutUsageDoneIsHeldForTheUsageChunkOnlyWhenTheClientAskedForIt() {
        UsageCounter asked = counter(true);
        asked.acceptEvent(bytes(CONTENT));
        assertThat(asked.acceptEvent(bytes("data: [DONE]\n\n"))).isFalse();
        assertThat(asked.heldDone()).isTrue();

        UsageCounter notAsked = counter(false);
        assertThat(notAsked.acceptEvent(bytes("data: [DONE]\n\n"))).isTrue();
        assertThat(notAsked.heldDone()).isFalse();

        UsageCounter reported = counter(true);
        reported.acceptEvent(bytes(USAGE_ONLY));
        assertThat(reported.acceptEvent(bytes("data: [DONE]\n\n"))).isTrue();
        assertThat(reported.estimated()).isFalse();
    }

    @Test
    void readsANativeMessagesStreamAndItsEnd() {
        UsageCounter counter = new UsageCounter(JSON, false, new CompletionCounter(JSON.getFactory(), ESTIMATE),
                dev.veil.protocol.api.Endpoint.MESSAGES);
        assertThat(counter.acceptEvent(bytes("event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
                + "{\"usage\":{\"input_tokens\":7,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\n\n"))).isTrue();
        assertThat(counter.acceptEvent(bytes("event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n"))).isTrue();
        assertThat(counter.ended()).isFalse();
        assertThat(counter.acceptEvent(bytes("event: message_delta\ndata: {\"type\":\"message_delta\","
                + "\"usage\":{\"output_tokens\":4}}\n\n"))).isTrue();
        assertThat(counter.acceptEvent(bytes("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))).isTrue();
        assertThat(counter.ended()).isTrue();
        assertThat(counter.estimated()).isFalse();
        assertThat(counter.promptTokens()).isEqualTo(10);
        assertThat(counter.completionTokens()).isEqualTo(4);
    }

    @Test
    void readsANativeResponsesStreamFromItsTerminalEvent() {
        UsageCounter counter = new UsageCounter(JSON, false, new CompletionCounter(JSON.getFactory(), ESTIMATE),
                dev.veil.protocol.api.Endpoint.RESPONSES);
        assertThat(counter.acceptEvent(bytes("event: response.output_text.delta\ndata: {\"type\":"
                + "\"response.output_text.delta\",\"delta\":\"hi\"}\n\n"))).isTrue();
        assertThat(counter.ended()).isFalse();
        assertThat(counter.estimated()).isTrue();
        assertThat(counter.acceptEvent(bytes("event: response.completed\ndata: {\"type\":\"response.completed\","
                + "\"response\":{\"usage\":{\"input_tokens\":6,\"output_tokens\":2}}}\n\n"))).isTrue();
        assertThat(counter.ended()).isTrue();
        assertThat(counter.promptTokens()).isEqualTo(6);
        assertThat(counter.completionTokens()).isEqualTo(2);
    }

    private static UsageCounter counter(boolean clientWantsUsage) {
        return new UsageCounter(JSON, clientWantsUsage, new CompletionCounter(JSON.getFactory(), ESTIMATE), dev.veil.protocol.api.Endpoint.CHAT_COMPLETIONS);
    }

    @Test
    void readsUsageFromAWholeAnswer() {
        UsageCounter counter = counter(false);
        counter.readWhole(bytes("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}"));

        assertThat(counter.promptTokens()).isEqualTo(9);
        assertThat(counter.completionTokens()).isEqualTo(4);

        UsageCounter none = counter(false);
        none.readWhole(bytes("<html>bad gateway</html>"));
        assertThat(none.completionTokens()).isZero();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
