package dev.veil.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The soak run's section of docs/benchmarks.md (between {@link #BEGIN} and {@link #END}): what ran, the outcome of the
 * well-behaved requests against the 100 % target, latency, Veil's resident memory and descriptors (idle, peak, end,
 * after a rest, and over time), Veil's survival, what the hostile clients achieved, and the reasons of every outcome
 * that was not a success.
 */
public final class SoakReport {

    public static final String BEGIN = "<!-- bench:soak:begin -->";
    public static final String END = "<!-- bench:soak:end -->";

    /** How much the peak of the second half of the load may exceed the first half's before memory counts as growing. */
    static final double GROWTH_ALLOWED = 0.10;
    /** Descriptors above the idle count tolerated after the rest (the log file, a pooled connection or two). */
    static final long FD_SLACK = 16;
    /**
     * The longest a hostile connection may stay open before it counts as never closed by the gateway: the longest
     * default timeout that applies to one (server.request_body_timeout_ms and server.send_timeout_ms, 60 s) plus 5 s
     * for the timer's and the probe's own lateness.
     */
    static final double HOSTILE_LIMIT_SECONDS = 65;

    /**
     * Every figure of one soak run.
     *
     * @param meta      lines above the table, in order (label → text)
     * @param load      the well-behaved clients' outcomes, latencies in milliseconds
     * @param samples   Veil's resident memory and descriptors during the load
     * @param idle      the sample before the load
     * @param after     the sample after the load and a rest, or null when Veil was gone
     * @param veilExit  null while Veil ran to the end; otherwise when and how it exited
     * @param hostile   each hostile kind's tally, by id
     */
    public record Figures(Map<String, String> meta, Load load, List<ProcessProbe.Sample> samples,
                          ProcessProbe.Sample idle, ProcessProbe.Sample after, String veilExit,
                          Map<String, HostileClients.Tally> hostile, double restSeconds) {
    }

    /** The well-behaved clients' figures, latencies of the successful requests in milliseconds (NaN when none). */
    public record Load(long scheduled, long sent, long ok, long expected, long unexpected, long whole, long streams,
                       Map<String, Long> unexpectedReasons, Map<String, Long> expectedReasons, double wholeP50,
                       double wholeP99, double ttftP50, double ttftP99, double doneP50, double doneP99) {

        static Load of(LoadGen.SoakLoad l) {
            return new Load(l.scheduled(), l.sent(), l.ok(), l.expected(), l.unexpected(), l.whole(), l.streams(),
                    l.unexpectedReasons(), l.expectedReasons(), ms(l.wholeLatency(), 50), ms(l.wholeLatency(), 99),
                    ms(l.streamTtft(), 50), ms(l.streamTtft(), 99), ms(l.streamTotal(), 50), ms(l.streamTotal(), 99));
        }

        private static double ms(org.HdrHistogram.Histogram h, double pct) {
            return Stats.micros(h, pct) / 1000.0;
        }

        /** ok ÷ (sent − expected errors), in %. */
        public double successPct() {
            return LoadGen.pct(ok, ok + unexpected);
        }
    }

    private SoakReport() {
    }

    /** The section's markdown. */
    public static String markdown(Figures f) {
        StringBuilder b = new StringBuilder();
        b.append("### Last soak: ").append(f.meta().getOrDefault("finished", "?")).append("\n\n");
        f.meta().forEach((label, text) -> {
            if (!label.equals("finished")) {
                b.append("- **").append(label).append(":** ").append(text).append('\n');
            }
        });
        b.append('\n');
        Load l = f.load();
        b.append("| figure | value | target |\n|---|---|---|\n");
        row(b, "**success**: well-behaved requests answered correctly, of those that must be (all but the expected "
                        + "errors)",
                String.format(Locale.ROOT, "%s (%,d of %,d)", pct(l.successPct()), l.ok(), l.ok() + l.unexpected()),
                l.unexpected() == 0 && l.ok() > 0 ? "100 %: **met**" : "100 %: **missed** by " + String.format(Locale.ROOT,
                        "%,d requests", l.unexpected()));
        row(b, "requests sent (scheduled)", String.format(Locale.ROOT, "%,d (%,d): %,d whole, %,d streams", l.sent(),
                l.scheduled(), l.whole(), l.streams()), l.sent() == l.scheduled() ? "all sent" : "**sending stopped early**");
        row(b, "expected errors: streams ended by an error event after a fault in the middle of the answer",
                String.format(Locale.ROOT, "%,d", l.expected()), "counted apart");
        row(b, "unexpected outcomes (reasons below)", String.format(Locale.ROOT, "%,d", l.unexpected()), "0");
        row(b, "whole requests: latency p50 / p99 (successful ones, from the intended send time)",
                millis(l.wholeP50()) + " / " + millis(l.wholeP99()), "—");
        row(b, "streams: time to first chunk p50 / p99", millis(l.ttftP50()) + " / " + millis(l.ttftP99()), "—");
        row(b, "streams: time to `[DONE]` p50 / p99", millis(l.doneP50()) + " / " + millis(l.doneP99()), "—");
        row(b, "Veil ran to the end", f.veilExit() == null ? "yes" : "**no**: " + f.veilExit(),
                f.veilExit() == null ? "yes: **met**" : "yes: **missed**");
        double rssGrowth = growth(f.samples(), ProcessProbe.Sample::rssMb);
        row(b, "Veil resident memory (MiB): idle / peak under load / end of load / after " + (int) f.restSeconds()
                        + " s of rest",
                String.format(Locale.ROOT, "%s / %s / %s / %s", mib(f.idle()), mib(peak(f.samples(),
                        ProcessProbe.Sample::rssMb)), mib(last(f.samples())), mib(f.after())),
                Double.isNaN(rssGrowth) ? "bounded: not measured"
                        : String.format(Locale.ROOT, "bounded (second half's peak ≤ first half's + %.0f %%): %s (%+.1f %%)",
                        GROWTH_ALLOWED * 100, rssGrowth <= GROWTH_ALLOWED ? "**met**" : "**missed**", rssGrowth * 100));
        long idleFds = f.idle() == null ? -1 : f.idle().fds();
        long afterFds = f.after() == null ? -1 : f.after().fds();
        row(b, "Veil open descriptors: idle / peak under load / end of load / after the rest",
                String.format(Locale.ROOT, "%s / %s / %s / %s", fds(f.idle()), count(peak(f.samples(),
                        s -> s.fds())), fds(last(f.samples())), fds(f.after())),
                idleFds < 0 || afterFds < 0 ? "back to idle: not measured"
                        : "back to idle + " + FD_SLACK + " after the rest: "
                        + (afterFds <= idleFds + FD_SLACK ? "**met**" : "**missed** by " + (afterFds - idleFds - FD_SLACK)));
        f.hostile().forEach((kind, t) -> row(b, "hostile `" + kind + "`: opened / closed by Veil (median, longest "
                        + "time to close) / still open at the end (the oldest's age)",
                String.format(Locale.ROOT, "%,d / %,d (%s, %s) / %,d (%s)%s", t.opened(), t.closedByGateway(),
                        seconds(t.closeMedianSeconds()), seconds(t.closeMaxSeconds()), t.openAtEnd(),
                        seconds(t.oldestOpenSeconds()), t.connectFailures() > 0 ? String.format(Locale.ROOT,
                                "; %,d connects failed", t.connectFailures()) : ""),
                f.veilExit() != null ? "each closed within " + (int) HOSTILE_LIMIT_SECONDS + " s: not measured "
                        + "(Veil exited, which closed them all)" : hostileVerdict(t)));
        b.append('\n');
        reasons(b, "Unexpected outcomes by reason (the last upstream attempt's fault in brackets)",
                l.unexpectedReasons());
        reasons(b, "Expected errors by reason", l.expectedReasons());
        overTime(b, f.samples());
        return b.toString();
    }

    private static String hostileVerdict(HostileClients.Tally t) {
        String goal = "each closed within " + (int) HOSTILE_LIMIT_SECONDS + " s: ";
        boolean closedLate = !Double.isNaN(t.closeMaxSeconds()) && t.closeMaxSeconds() > HOSTILE_LIMIT_SECONDS;
        boolean heldLong = !Double.isNaN(t.oldestOpenSeconds()) && t.oldestOpenSeconds() > HOSTILE_LIMIT_SECONDS;
        if (t.opened() == 0) {
            return goal + "not measured";
        }
        if (closedLate || heldLong) {
            return goal + "**missed**";
        }
        // A run shorter than the limit cannot tell a timeout of the limit from none at all.
        return goal + (t.activeSeconds() > HOSTILE_LIMIT_SECONDS ? "**met**" : "not measured (ran less than "
                + (int) HOSTILE_LIMIT_SECONDS + " s)");
    }

    private static void reasons(StringBuilder b, String title, Map<String, Long> reasons) {
        if (reasons.isEmpty()) {
            return;
        }
        b.append(title).append(":\n\n");
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(reasons.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder())
                .thenComparing(Map.Entry.comparingByKey()));
        int shown = 0;
        long rest = 0;
        for (Map.Entry<String, Long> e : sorted) {
            if (shown++ < 15) {
                b.append(String.format(Locale.ROOT, "- %,d × %s%n", e.getValue(), e.getKey().replace("|", "/")));
            } else {
                rest += e.getValue();
            }
        }
        if (rest > 0) {
            b.append(String.format(Locale.ROOT, "- %,d × other reasons%n", rest));
        }
        b.append('\n');
    }

    /** At most 13 evenly spaced samples of the load phase, as one small table. */
    private static void overTime(StringBuilder b, List<ProcessProbe.Sample> samples) {
        if (samples.isEmpty()) {
            return;
        }
        int points = Math.min(13, samples.size());
        StringBuilder t = new StringBuilder("| seconds |");
        StringBuilder rss = new StringBuilder("| resident MiB |");
        StringBuilder fds = new StringBuilder("| descriptors |");
        StringBuilder line = new StringBuilder("|---|");
        for (int i = 0; i < points; i++) {
            ProcessProbe.Sample s = samples.get(points == 1 ? 0 : (int) Math.round((double) i * (samples.size() - 1)
                    / (points - 1)));
            t.append(String.format(Locale.ROOT, " %.0f |", s.seconds()));
            rss.append(' ').append(mib(s)).append(" |");
            fds.append(' ').append(fds(s)).append(" |");
            line.append("---|");
        }
        b.append("Veil over time (samples once a second; every ").append(samples.size() <= 13 ? "" : "~")
                .append(samples.size() / Math.max(1, points - 1)).append(" s shown):\n\n")
                .append(t).append('\n').append(line).append('\n').append(rss).append('\n').append(fds).append("\n");
    }

    /**
     * How much the peak of the second half of the samples exceeds the first half's, as a fraction (0.05 = 5 %); NaN
     * with fewer than two samples.
     */
    static double growth(List<ProcessProbe.Sample> samples, ToDoubleFunction<ProcessProbe.Sample> value) {
        if (samples.size() < 2) {
            return Double.NaN;
        }
        int half = samples.size() / 2;
        double first = peak(samples.subList(0, half), value);
        double second = peak(samples.subList(half, samples.size()), value);
        return first <= 0 ? Double.NaN : (second - first) / first;
    }

    static double peak(List<ProcessProbe.Sample> samples, ToDoubleFunction<ProcessProbe.Sample> value) {
        double max = Double.NaN;
        for (ProcessProbe.Sample s : samples) {
            double v = value.applyAsDouble(s);
            if (Double.isNaN(max) || v > max) {
                max = v;
            }
        }
        return max;
    }

    private static ProcessProbe.Sample last(List<ProcessProbe.Sample> samples) {
        return samples.isEmpty() ? null : samples.get(samples.size() - 1);
    }

    private static void row(StringBuilder b, String figure, String value, String target) {
        b.append("| ").append(figure).append(" | ").append(value).append(" | ").append(target).append(" |\n");
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "n/a" : v == 100.0 ? "100 %" : String.format(Locale.ROOT, "%.2f %%", Math.min(v, 99.99));
    }

    static String millis(double ms) {
        if (Double.isNaN(ms)) {
            return "n/a";
        }
        return ms >= 100 ? String.format(Locale.ROOT, "%,.0f ms", ms) : String.format(Locale.ROOT, "%.1f ms", ms);
    }

    private static String seconds(double s) {
        return Double.isNaN(s) ? "—" : String.format(Locale.ROOT, "%.1f s", s);
    }

    private static String mib(ProcessProbe.Sample s) {
        return s == null ? "n/a" : String.format(Locale.ROOT, "%.0f", s.rssMb());
    }

    private static String mib(double mb) {
        return Double.isNaN(mb) ? "n/a" : String.format(Locale.ROOT, "%.0f", mb);
    }

    private static String fds(ProcessProbe.Sample s) {
        return s == null || s.fds() < 0 ? "n/a" : Long.toString(s.fds());
    }

    private static String count(double v) {
        return Double.isNaN(v) || v < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f", v);
    }
}
