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

    @Test
    @Timeout(20)
    void theResponsesCellsStreamsAreTypedEventsCountedFrameForFrame() {
        assertThat(Harness.CELLS).contains("responses");
        assertThat(Harness.checkedCells("responses")).containsExactly("responses");
        try (FakeUpstream fake = FakeUpstream.start("127.0.0.1", 0); LoadGen load = new LoadGen()) {
            Dest dest = new Dest("direct", "127.0.0.1", fake.port(), "/v1/chat/completions", Map.of())
                    .at(Harness.RESPONSES_PATH);
            FakeMode mode = new FakeMode(0, 5, 6, 1, 0, 0);
            LoadGen.Streams s = load.streams(dest, Harness.responsesBody(mode.modelName(), true), 1, 3, mode.chunks());
            assertThat(s.firstError()).isNull();
            assertThat(s.ok()).isEqualTo(3);
            assertThat(s.exactFrames()).as("one delta per chunk, ended by response.completed").isEqualTo(3);
            assertThat(s.framesReceived()).isEqualTo(18);
        }
    }

    @Test
    void responsesEventsAreClassifiedAsTheirStreamsNeed() {
        byte[] created = Sse.typedEvent("response.created", "{\"type\":\"response.created\",\"response\":{\"error\":null}}");
        byte[] delta = Sse.typedEvent("response.output_text.delta", "{\"type\":\"response.output_text.delta\",\"delta\":\"x\"}");
        byte[] completed = Sse.typedEvent("response.completed", "{\"type\":\"response.completed\",\"response\":{\"error\":null}}");
        byte[] error = Sse.typedEvent("error", "{\"type\":\"error\",\"code\":\"upstream_stream_truncated\"}");
        assertThat(Sse.classify(created, 0, created.length - 2)).isEqualTo(Sse.Kind.OTHER);
        assertThat(Sse.classify(delta, 0, delta.length - 2)).isEqualTo(Sse.Kind.CHUNK);
        assertThat(Sse.classify(completed, 0, completed.length - 2)).isEqualTo(Sse.Kind.DONE);
        assertThat(Sse.classify(error, 0, error.length - 2)).isEqualTo(Sse.Kind.ERROR);
    }

    @Test
    @Timeout(30)
    void soakClientsClassifyTheFakesNormalAndFaultyAnswers() {
        FaultLog log = new FaultLog();
        try (FakeUpstream steady = FakeUpstream.start("127.0.0.1", 0, FaultPlan.NONE, log);
             FakeUpstream malformed = FakeUpstream.start("127.0.0.1", 0, FaultPlan.of(100, "malformed", 1), log);
             LoadGen load = new LoadGen()) {
            FakeMode mode = new FakeMode(1, 1, 4, 1, 0, 0);
            LoadGen.SoakLoad ok = load.soak(spec(steady, mode), log::take, () -> false, line -> { });
            assertThat(ok.unexpectedReasons()).isEmpty();
            assertThat(ok.ok()).isEqualTo(ok.sent()).isEqualTo(ok.scheduled()).isEqualTo(50);
            assertThat(ok.whole()).isPositive();
            assertThat(ok.streams()).isPositive();

            LoadGen.SoakLoad bad = load.soak(spec(malformed, mode), log::take, () -> false, line -> { });
            assertThat(bad.ok()).isZero();
            assertThat(bad.unexpected()).isEqualTo(50);
            assertThat(bad.unexpectedReasons().keySet()).containsExactlyInAnyOrder(
                    "200 that is not a chat completion (last attempt: fault malformed)",
                    "stream ended without [DONE] or an error event (last attempt: fault malformed)");
            assertThat(malformed.injected().get(Fault.MALFORMED)).isEqualTo(50);
            assertThat(log.size()).isZero();
        }
    }

    private static LoadGen.SoakSpec spec(FakeUpstream fake, FakeMode mode) {
        Dest dest = new Dest("direct", "127.0.0.1", fake.port(), "/v1/chat/completions", Map.of());
        return new LoadGen.SoakSpec(dest, Harness.chatBody(mode.modelName(), false),
                Harness.chatBody(mode.modelName(), true), 50, mode.chunks(), 100, 500_000_000L, 5_000,
                3_000_000_000L, 64);
    }
}
