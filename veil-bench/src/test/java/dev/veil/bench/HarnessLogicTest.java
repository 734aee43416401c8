package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The harness's own logic, without any load: fake modes, SSE framing, percentile and spread math, the report. */
class HarnessLogicTest {

    @Test
    void fakeModesRoundTripThroughModelNames() {
        FakeMode mode = new FakeMode(20, 15, 30, 3, 500, 10);
        assertThat(FakeMode.parse(mode.modelName())).isEqualTo(mode);
        assertThat(FakeMode.parse("fake-l20")).isEqualTo(new FakeMode(20, 20, 20, 2, 0, 0));
        assertThat(FakeMode.parse("fake-s0x11x1000").streamMillis()).isEqualTo(10_000);
        assertThat(FakeMode.parse("gpt-4o-mini")).isEqualTo(FakeMode.DEFAULT);
        assertThat(FakeMode.parse("fake-lX-s1x0x2")).isEqualTo(FakeMode.DEFAULT);
    }

    @Test
    void bodyScanFindsModelStreamAndUsage() {
        byte[] body = "{\"stream_options\": {\"include_usage\": true}, \"model\" : \"fake-l20\", \"stream\":true}"
                .getBytes(StandardCharsets.UTF_8);
        assertThat(FakeUpstream.stringValue(body, "\"model\"".getBytes())).isEqualTo("fake-l20");
        assertThat(FakeUpstream.trueValue(body, "\"stream\"".getBytes())).isTrue();
        assertThat(FakeUpstream.trueValue(body, "\"include_usage\"".getBytes())).isTrue();
        byte[] plain = "{\"model\":\"m\",\"stream\":false}".getBytes(StandardCharsets.UTF_8);
        assertThat(FakeUpstream.trueValue(plain, "\"stream\"".getBytes())).isFalse();
        assertThat(FakeUpstream.trueValue(plain, "\"include_usage\"".getBytes())).isFalse();
    }

    @Test
    void splitterFindsEveryEventHoweverTheBytesAreCut() {
        String stream = "data: {\"choices\":[{\"delta\":{}}]}\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\n\r\n"
                + ": veil-receipt abc\n\n"
                + "data: {\"choices\":[],\"usage\":{\"total_tokens\":3}}\n\n"
                + "data: {\"error\":{\"message\":\"m\"}}\n\n"
                + "data: [DONE]\n\n";
        List<Sse.Kind> expected = List.of(Sse.Kind.CHUNK, Sse.Kind.CHUNK, Sse.Kind.COMMENT, Sse.Kind.USAGE,
                Sse.Kind.ERROR, Sse.Kind.DONE);
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int cut = 1; cut <= bytes.length; cut++) {
            Sse.Splitter splitter = new Sse.Splitter();
            List<Sse.Kind> seen = new ArrayList<>();
            for (int i = 0; i < bytes.length; i += cut) {
                splitter.feed(Arrays.copyOfRange(bytes, i, Math.min(bytes.length, i + cut)), seen::add);
            }
            assertThat(seen).as("cut into %d-byte reads", cut).isEqualTo(expected);
            assertThat(splitter.pending()).isZero();
        }
    }

    @Test
    void histogramPercentilesAreInMicrosecondsWithinAPerMille() {
        Histogram h = Stats.histogram();
        for (int i = 1; i <= 1000; i++) {
            Stats.record(h, i * 1_000L);           // 1 µs .. 1000 µs
        }
        assertThat(Stats.micros(h, 50)).isCloseTo(500, within(0.5));
        assertThat(Stats.micros(h, 99)).isCloseTo(990, within(1.0));
        assertThat(Stats.micros(h, 100)).isCloseTo(1000, within(1.0));
        Stats.record(h, Long.MAX_VALUE);           // clamped, not thrown
        assertThat(h.getMaxValue()).isGreaterThanOrEqualTo(Stats.MAX_NANOS - Stats.MAX_NANOS / 500);
        assertThat(Stats.micros(Stats.histogram(), 50)).isNaN();
    }

    @Test
    void spreadIsTheMedianAndRangeOfRepeats() {
        assertThat(Stats.spread(List.of(3.0, 1.0, 2.0))).isEqualTo(new Stats.Spread(2.0, 1.0, 3.0, 3));
        assertThat(Stats.spread(List.of(4.0, 1.0, Double.NaN, 2.0, 3.0)).median()).isEqualTo(2.5);
        assertThat(Stats.spread(List.of(Double.NaN)).present()).isFalse();
    }

    @Test
    void addedFiguresPairRepeatsAndTheReportMarksMissedTargets() {
        Results r = new Results();
        double[] direct = {100, 110, 90};
        double[] veil = {150, 180, 160};
        for (int i = 0; i < 3; i++) {
            r.put("c1", "p50_us", "direct", direct[i]);
            r.put("c1", "p50_us", "veil", veil[i]);
            r.put("c1", "success_pct", "veil", i == 1 ? 99.5 : 100);
        }
        Stats.Spread added = r.added("c1", "p50_us", "veil", "direct");
        assertThat(added).isEqualTo(new Stats.Spread(70, 50, 70, 3));
        assertThat(r.lowestSuccess("veil")).isEqualTo(99.5);
        r.meta("unavailable.portkey", "not installed");
        String md = new Report(r).markdown();
        assertThat(md).contains("| **c=1, 0 ms fake on the proxy's core:** added latency p50 | 100 µs (90 µs … 110 µs) | n/a | n/a (not installed) | +70 µs (+50 µs … +70 µs) |");
        assertThat(md).contains("≤ 60 µs: **missed** by 10 µs");
        assertThat(md).contains("≥ 100.00 %: **missed** by 0.50 %");
    }

    @Test
    void wrkReportIsParsed() {
        String out = """
                Running 5s test @ http://127.0.0.1:8080/v1/chat/completions
                  1 threads and 64 connections
                  Thread Stats   Avg      Stdev     Max   +/- Stdev
                    Latency     1.10ms  200.00us   9.00ms   90.00%
                    Req/Sec    58.00k     1.00k   60.00k    80.00%
                  Latency Distribution
                     50%  836.00us
                     75%    1.00ms
                     90%    1.10ms
                     99%    1.30ms
                  290000 requests in 5.00s, 110.00MB read
                  Non-2xx or 3xx responses: 100
                  Socket errors: connect 0, read 2, write 0, timeout 1
                Requests/sec:  58000.00
                Transfer/sec:     22.00MB
                """;
        Wrk.Result r = Wrk.parse(out);
        assertThat(r.p50us()).isEqualTo(836.0);
        assertThat(r.p99us()).isEqualTo(1300.0);
        assertThat(r.requests()).isEqualTo(290000);
        assertThat(r.failed()).isEqualTo(103);
        assertThat(r.rps()).isCloseTo(58000.0 * (290000 - 103) / 290000, within(0.01));
        assertThat(r.firstError()).isEqualTo("100 non-2xx answers 3 socket errors");
    }
}
