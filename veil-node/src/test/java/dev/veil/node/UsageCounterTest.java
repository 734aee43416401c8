package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class UsageCounterTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONTENT = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n";
    private static final String USAGE_ONLY =
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n";

    @Test
    void dropsTheUsageOnlyEventUnlessAskedButAlwaysCountsIt() {
        UsageCounter notAsked = new UsageCounter(JSON, false);
        assertThat(notAsked.acceptEvent(bytes(CONTENT))).isTrue();
        assertThat(notAsked.acceptEvent(bytes(USAGE_ONLY))).isFalse();
        assertThat(notAsked.acceptEvent(bytes("data: [DONE]\n\n"))).isTrue();
        assertThat(notAsked.promptTokens()).isEqualTo(5);
        assertThat(notAsked.completionTokens()).isEqualTo(2);
        assertThat(notAsked.sawDone()).isTrue();

        UsageCounter asked = new UsageCounter(JSON, true);
        assertThat(asked.acceptEvent(bytes(USAGE_ONLY))).isTrue();
        assertThat(asked.completionTokens()).isEqualTo(2);
    }

    @Test
    void aChunkWithChoicesAndNullUsageIsForwarded() {
        UsageCounter counter = new UsageCounter(JSON, false);

        assertThat(counter.acceptEvent(bytes("data: {\"choices\":[{\"delta\":{}}],\"usage\":null}\n\n"))).isTrue();
        assertThat(counter.completionTokens()).isEqualTo(1);
    }

    @Test
    void withoutUsageEstimatesOneTokenPerContentEvent() {
        UsageCounter counter = new UsageCounter(JSON, false);
        counter.acceptEvent(bytes(CONTENT));
        counter.acceptEvent(bytes(CONTENT));
        counter.acceptEvent(bytes(": keep-alive comment\n\n"));

        assertThat(counter.promptTokens()).isZero();
        assertThat(counter.completionTokens()).isEqualTo(2);
        assertThat(counter.sawDone()).isFalse();
    }

    @Test
    void readsUsageFromAWholeAnswer() {
        UsageCounter counter = new UsageCounter(JSON, false);
        counter.readWhole(bytes("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}"));

        assertThat(counter.promptTokens()).isEqualTo(9);
        assertThat(counter.completionTokens()).isEqualTo(4);

        UsageCounter none = new UsageCounter(JSON, false);
        none.readWhole(bytes("<html>bad gateway</html>"));
        assertThat(none.completionTokens()).isZero();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
