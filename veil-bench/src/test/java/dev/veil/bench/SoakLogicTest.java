package dev.veil.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The soak's own logic, without any load: fault decisions, outcome classes, the report and its section. */
class SoakLogicTest {

    @Test
    void faultPlanInjectsItsShareAndOnlyTheFaultsItNames() {
        FaultPlan plan = FaultPlan.of(20, "reset,stall,endless", 6000);
        Map<Fault, Integer> seen = new EnumMap<>(Fault.class);
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            seen.merge(plan.decide(random), 1, Integer::sum);
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrder(Fault.NONE, Fault.RESET, Fault.STALL, Fault.ENDLESS_BODY);
        assertThat(seen.get(Fault.NONE)).isBetween(15_600, 16_400);
        // reset and stall weigh 3, the never-ending body 1
        assertThat(seen.get(Fault.RESET)).isGreaterThan(2 * seen.get(Fault.ENDLESS_BODY));
        assertThat(plan.ids()).containsExactly("reset", "stall", "endless");

        assertThat(FaultPlan.of(0, "all", 1).decide(random)).isEqualTo(Fault.NONE);
        assertThat(FaultPlan.of(100, "none", 1).percent()).isZero();
        assertThat(FaultPlan.of(100, "all", 1).ids()).hasSize(Fault.values().length - 1);
        SplittableRandom r2 = new SplittableRandom(1);
        for (int i = 0; i < 100; i++) {
            assertThat(FaultPlan.of(100, "all", 1).decide(r2)).isNotEqualTo(Fault.NONE);
        }
        assertThatThrownBy(() -> FaultPlan.of(10, "reset,oops", 1)).hasMessageContaining("unknown fault 'oops'")
                .hasMessageContaining("malformed");
        assertThatThrownBy(() -> FaultPlan.of(101, "all", 1)).hasMessageContaining("0..100");
    }

    @Test
    void onlyFaultsAfterTheAnswerStartedMayEndAStreamWithAnErrorEvent() {
        assertThat(Fault.STALL.afterAnswerStarted()).isTrue();
        assertThat(Fault.RESET_MID.afterAnswerStarted()).isTrue();
        assertThat(Fault.ENDLESS_BODY.afterAnswerStarted()).isTrue();
        assertThat(Fault.RESET.afterAnswerStarted()).isFalse();
        assertThat(Fault.MALFORMED.afterAnswerStarted()).isFalse();

        assertThat(SoakOutcome.stream(null, 200, null, 10, 10, true, false, Fault.NONE).kind())
                .isEqualTo(SoakOutcome.Kind.OK);
        assertThat(SoakOutcome.stream(null, 200, null, 2, 10, false, true, Fault.STALL))
                .isEqualTo(new SoakOutcome.Verdict(SoakOutcome.Kind.EXPECTED, "error event after fault stall"));
        assertThat(SoakOutcome.stream("connection closed", 200, null, 2, 10, false, true, Fault.RESET_MID).kind())
                .isEqualTo(SoakOutcome.Kind.EXPECTED);
        // an error event with no fault after the start, or one that is not followed by the end, is not expected
        assertThat(SoakOutcome.stream(null, 200, null, 0, 10, false, true, Fault.RESET).kind())
                .isEqualTo(SoakOutcome.Kind.UNEXPECTED);
        assertThat(SoakOutcome.stream("no byte within the client's idle timeout", 200, null, 2, 10, false, true,
                Fault.STALL).reason()).startsWith("error event, then no byte");
        // a stall that the client sees as silence, a cut without an error event, a status
        assertThat(SoakOutcome.stream("no byte within the client's idle timeout", 200, null, 2, 10, false, false,
                Fault.STALL).reason()).isEqualTo("no byte within the client's idle timeout mid-stream (last attempt: "
                + "fault stall)");
        assertThat(SoakOutcome.stream(null, 200, null, 2, 10, false, false, Fault.RESET_MID).reason())
                .startsWith("stream ended without [DONE]");
        byte[] error = "{\"error\":{\"message\":\"m\",\"type\":\"t\",\"param\":null,\"code\":\"no_healthy_route\"}}"
                .getBytes(StandardCharsets.UTF_8);
        assertThat(SoakOutcome.stream(null, 503, error, 0, 10, false, false, null).reason())
                .isEqualTo("HTTP 503 no_healthy_route (no attempt reached an upstream)");
    }

    @Test
    void aWholeAnswerIsOkOnlyWhenItIsAChatCompletion() {
        byte[] good = ("{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                + "\"assistant\",\"content\":\"hi\"}}]}").getBytes(StandardCharsets.UTF_8);
        assertThat(SoakOutcome.whole(null, 200, good, false, Fault.NONE).kind()).isEqualTo(SoakOutcome.Kind.OK);
        byte[] html = "<html><body>Bad Gateway</body></html>".getBytes(StandardCharsets.UTF_8);
        assertThat(SoakOutcome.whole(null, 200, html, false, Fault.MALFORMED).reason())
                .isEqualTo("200 that is not a chat completion (last attempt: fault malformed)");
        assertThat(SoakOutcome.whole(null, 200, good, true, Fault.ENDLESS_BODY).kind())
                .isEqualTo(SoakOutcome.Kind.UNEXPECTED);
        assertThat(SoakOutcome.whole("connection closed", 0, null, false, Fault.NONE).reason())
                .isEqualTo("connection closed (last attempt: no fault)");
        assertThat(SoakOutcome.describe(new java.net.ConnectException("Connection refused")))
                .isEqualTo("connection refused");
        assertThat(SoakOutcome.describe(new java.util.concurrent.TimeoutException("The timeout period of 20000ms")))
                .isEqualTo("no byte within the client's idle timeout");
        assertThat(SoakOutcome.describe(new io.netty.channel.ConnectTimeoutException("connection timed out after 10000 ms")))
                .isEqualTo("connect timed out");
    }

    @Test
    void theReportStatesTheVerdictsAndReplacesOnlyItsSection(@TempDir Path dir) throws Exception {
        List<ProcessProbe.Sample> samples = List.of(new ProcessProbe.Sample(1, 150, 40),
                new ProcessProbe.Sample(2, 180, 300), new ProcessProbe.Sample(3, 185, 420),
                new ProcessProbe.Sample(4, 240, 500));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("finished", "2026-12-02 07:00 UTC");
        meta.put("Command", "`bench/soak --minutes 3`");
        SoakReport.Load load = new SoakReport.Load(36_000, 36_000, 35_900, 40, 60, 18_000, 18_000,
                Map.of("HTTP 503 no_healthy_route (last attempt: no fault)", 50L, "connection closed (last attempt: "
                        + "fault reset)", 10L), Map.of("error event after fault stall", 40L), 21, 40, 22, 45, 70, 90);
        Map<String, HostileClients.Tally> hostile = new LinkedHashMap<>();
        hostile.put("slowloris", HostileClients.tally(200, 0, 200, 200, List.of(), 150_000_000_000L, 180_000_000_000L));
        hostile.put("big-body", HostileClients.tally(30, 0, 0, 10, List.of(2_000_000_000L, 4_000_000_000L), 0,
                180_000_000_000L));
        hostile.put("no-read", HostileClients.tally(20, 0, 20, 20, List.of(), 40_000_000_000L, 40_000_000_000L));
        SoakReport.Figures f = new SoakReport.Figures(meta, load, samples, new ProcessProbe.Sample(0, 140, 30),
                new ProcessProbe.Sample(30, 200, 35), null, hostile, 20);
        String md = SoakReport.markdown(f);
        assertThat(md).startsWith("### Last soak: 2026-12-02 07:00 UTC")
                .contains("- **Command:** `bench/soak --minutes 3`")
                .contains("| 99.83 % (35,900 of 35,960) | 100 %: **missed** by 60 requests |")
                .contains("- 50 × HTTP 503 no_healthy_route (last attempt: no fault)\n- 10 × connection closed")
                .contains("- 40 × error event after fault stall")
                .contains("| 140 / 240 / 240 / 200 | bounded (second half's peak ≤ first half's + 10 %): **missed** (+33.3 %) |")
                .contains("| 30 / 500 / 500 / 35 | back to idle + 16 after the rest: **met** |")
                .contains("hostile `slowloris`")
                .contains("| 200 / 0 (—, —) / 200 (150.0 s) | each closed within 65 s: **missed** |")
                .contains("| 30 / 2 (4.0 s, 4.0 s) / 0 (—) | each closed within 65 s: **met** |")
                .contains("| 20 / 0 (—, —) / 20 (40.0 s) | each closed within 65 s: not measured (ran less than 65 s) |")
                .contains("| Veil ran to the end | yes | yes: **met** |");
        assertThat(SoakReport.growth(samples.subList(0, 2), ProcessProbe.Sample::rssMb)).isEqualTo(0.2);

        Path doc = Files.writeString(dir.resolve("benchmarks.md"), "# B\n\n" + Report.BEGIN + "\nbench\n" + Report.END
                + "\n\n## Soak\n\n" + SoakReport.BEGIN + "\nold\n" + SoakReport.END + "\n\ntail\n");
        Report.replaceSection(doc, SoakReport.BEGIN, SoakReport.END, md);
        String text = Files.readString(doc);
        assertThat(text).contains(Report.BEGIN + "\nbench\n" + Report.END).doesNotContain("\nold\n")
                .contains(SoakReport.BEGIN + "\n### Last soak").endsWith(SoakReport.END + "\n\ntail\n");
    }
}
