package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fake upstream and the load generator against each other, briefly: framing, counts, latency, errors. */
class FakeUpstreamTest {

    @Test
    @Timeout(20)
    void streamsWholeAnswersAndInjectedErrorsAreWhatTheModeSays() {
        try (FakeUpstream fake = FakeUpstream.start("127.0.0.1", 0); LoadGen load = new LoadGen()) {
            Dest dest = new Dest("direct", "127.0.0.1", fake.port(), "/v1/chat/completions", Map.of());
            FakeMode mode = new FakeMode(0, 5, 6, 1, 0, 0);
            LoadGen.Streams s = load.streams(dest, Harness.chatBody(mode.modelName(), true), 1, 3, mode.chunks());
            assertThat(s.firstError()).isNull();
            assertThat(s.ok()).isEqualTo(3);
            assertThat(s.exactFrames()).isEqualTo(3);
            assertThat(s.framesReceived()).isEqualTo(18);
            assertThat(s.ttft().getValueAtPercentile(50)).isGreaterThanOrEqualTo(4_000_000L);
            assertThat(s.gap().getTotalCount()).isEqualTo(15);

            LoadGen.Closed whole = load.closedLoop(dest, Harness.chatBody("fake-l10", false), 2, 0, 200_000_000L);
            assertThat(whole.errors()).isZero();
            assertThat(whole.ok()).isPositive();
            assertThat(whole.latency().getValueAtPercentile(50)).isGreaterThanOrEqualTo(9_000_000L);

            LoadGen.Open failing = load.openLoop(dest, Harness.chatBody("fake-l0-e503p100", false), 200, 0,
                    100_000_000L, 1_000_000_000L, 16);
            assertThat(failing.ok()).isZero();
            assertThat(failing.errors()).isEqualTo(failing.scheduled()).isPositive();
            assertThat(failing.firstError()).isEqualTo("HTTP 503");
        }
    }
}
