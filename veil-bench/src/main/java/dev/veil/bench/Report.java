package dev.veil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Turns a run's {@link Results} into the markdown table of docs/benchmarks.md: one row per figure, one column per
 * target, each cell the median of the repeats with the range (min – max) in brackets, "added" figures taken against
 * the direct path of the same repeat, and a last column checking Veil against the targets.
 */
public final class Report {

    public static final String BEGIN = "<!-- bench:results:begin -->";
    public static final String END = "<!-- bench:results:end -->";
    public static final String JMH_BEGIN = "<!-- bench:jmh:begin -->";
    public static final String JMH_END = "<!-- bench:jmh:end -->";

    static final List<String> TARGETS = List.of("direct", "nginx", "portkey", "veil");

    private final Results r;

    public Report(Results results) {
        this.r = results;
    }

    // ------------------------------------------------------------------------------------------------ formatting

    static String us(double micros) {
        if (Double.isNaN(micros)) {
            return "n/a";
        }
        double a = Math.abs(micros);
        if (a >= 10_000) {
            return String.format(Locale.ROOT, "%.1f ms", micros / 1000);
        }
        if (a >= 1_000) {
            return String.format(Locale.ROOT, "%.2f ms", micros / 1000);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.0f µs", micros);
        }
        return String.format(Locale.ROOT, "%.1f µs", micros);
    }

    static String signed(String s, double v) {
        return (v >= 0 ? "+" : "−") + s.replace("-", "");
    }

    static String addedUs(Stats.Spread s) {
        if (!s.present()) {
            return "n/a";
        }
        String median = signed(us(Math.abs(s.median())), s.median());
        if (s.n() < 2) {
            return median;
        }
        return median + " (" + signed(us(Math.abs(s.min())), s.min()) + " … " + signed(us(Math.abs(s.max())), s.max()) + ")";
    }

    static String plainUs(Stats.Spread s) {
        if (!s.present()) {
            return "n/a";
        }
        return s.n() < 2 ? us(s.median()) : us(s.median()) + " (" + us(s.min()) + " … " + us(s.max()) + ")";
    }

    static String number(double v, String fmt) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, fmt, v);
    }

    static String plain(Stats.Spread s, String fmt) {
        if (!s.present()) {
            return "n/a";
        }
        return s.n() < 2 || s.min() == s.max() ? number(s.median(), fmt)
                : number(s.median(), fmt) + " (" + number(s.min(), fmt) + " … " + number(s.max(), fmt) + ")";
    }

    private String unavailable(String target) {
        Object reason = r.meta("unavailable." + target);
        if (reason == null) {
            return null;
        }
        String text = String.valueOf(reason).replace("|", "/").replace("\n", " ");
        return "n/a (" + (text.length() > 90 ? text.substring(0, 87) + "..." : text) + ")";
    }

    // ------------------------------------------------------------------------------------------------ rows

    private interface CellText extends Function<String, String> {
    }

    private void row(StringBuilder b, String figure, CellText perTarget, String verdict) {
        b.append("| ").append(figure).append(" |");
        for (String t : TARGETS) {
            String na = unavailable(t);
            b.append(' ').append(na != null && !t.equals("direct") ? na : perTarget.apply(t)).append(" |");
        }
        b.append(' ').append(verdict).append(" |\n");
    }

    private CellText addedRow(String cell, String metric) {
        return t -> t.equals("direct") ? plainUs(r.spread(cell, metric, t)) : addedUs(r.added(cell, metric, t, "direct"));
    }

    private CellText absRow(String cell, String metric, String fmt) {
        return t -> plain(r.spread(cell, metric, t), fmt);
    }

    private CellText absUsRow(String cell, String metric) {
        return t -> plainUs(r.spread(cell, metric, t));
    }

    static String verdict(double value, double limit, boolean atMost, String unit, Function<Double, String> fmt) {
        if (Double.isNaN(value)) {
            return "≤/≥ " + fmt.apply(limit) + ": not measured";
        }
        boolean met = atMost ? value <= limit : value >= limit;
        String goal = (atMost ? "≤ " : "≥ ") + fmt.apply(limit) + unit;
        if (met) {
            return goal + ": **met**";
        }
        double by = Math.abs(value - limit);
        return goal + ": **missed** by " + fmt.apply(by) + unit;
    }

    private String addedVerdict(String cell, String metric, double limitUs) {
        Stats.Spread s = r.added(cell, metric, "veil", "direct");
        return verdict(s.median(), limitUs, true, "", Report::us);
    }

    /** What each target answered during its warm-up, e.g. {@code nginx 512000 requests and 90000 streams}. */
    private static String warmups(Map<String, Object> meta) {
        StringBuilder b = new StringBuilder();
        for (String target : List.of("direct", "nginx", "portkey", "veil")) {
            Object done = meta.get("warmup." + target);
            if (done != null) {
                b.append(b.isEmpty() ? "" : "; ").append(target).append(' ').append(done);
            }
        }
        return b.isEmpty() ? "?" : b.toString();
    }

    /** The marked section: run metadata, the table, and the notes. */
    public String markdown() {
        StringBuilder b = new StringBuilder();
        Map<String, Object> m = r.metaMap();
        b.append("### Last run: ").append(m.getOrDefault("finished", "?")).append(" (")
                .append(m.getOrDefault("mode", "?")).append(")\n\n");
        b.append("- **Machine:** ").append(m.getOrDefault("machine", "?")).append('\n');
        b.append("- **Command:** `").append(m.getOrDefault("command", "bench/run")).append("` — ")
                .append(m.getOrDefault("duration", "?")).append(", ").append(m.getOrDefault("repeats", "?"))
                .append(" interleaved repeats per cell, ").append(m.getOrDefault("durations", "")).append('\n');
        b.append("- **Warm-up:** ").append(warmups(m)).append('\n');
        b.append("- **Pinning:** ").append(m.getOrDefault("pinning", "?")).append('\n');
        b.append("- **Peers:** ").append(m.getOrDefault("versions", "?")).append('\n');
        b.append("- **Noise:** ").append(m.getOrDefault("noise", "?")).append('\n');
        b.append('\n');
        b.append("Each figure is the median of the repeats, with the range (min … max) in brackets. *Added* figures are "
                + "the target's figure minus the direct path's in the same repeat. µs = microseconds.\n\n");
        b.append("| figure | direct (fake) | nginx (floor) | Portkey (peer) | Veil | Veil against the target |\n");
        b.append("|---|---|---|---|---|---|\n");

        row(b, "**c=1, 0 ms fake on the proxy's core:** added latency p50", addedRow("c1", "p50_us"),
                addedVerdict("c1", "p50_us", 60));
        row(b, "**c=1, 0 ms fake on the proxy's core:** added latency p99", addedRow("c1", "p99_us"),
                addedVerdict("c1", "p99_us", 500));
        row(b, "c=1, 0 ms fake on the load core (two more core crossings than direct): added p50",
                addedRow("c1x", "p50_us"), "—");
        row(b, "c=1, 0 ms fake on the load core: added p99", addedRow("c1x", "p99_us"), "—");
        double nginxRps = r.spread("max", "rps", "nginx").median();
        double veilRps = r.spread("max", "rps", "veil").median();
        row(b, "**max throughput**, c=" + m.getOrDefault("max_connections", "64") + ", nginx mock, proxy on 1 core (req/s)",
                t -> {
                    String v = absRow("max", "rps", "%,.0f").apply(t);
                    if (t.equals("veil") && !Double.isNaN(nginxRps) && nginxRps > 0 && !Double.isNaN(veilRps)) {
                        v += String.format(Locale.ROOT, " = %.0f %% of nginx", 100 * veilRps / nginxRps);
                    }
                    return v;
                },
                Double.isNaN(nginxRps) ? "≥ 40 % of nginx: nginx not measured"
                        : verdict(100 * veilRps / nginxRps, 40, false, " % of nginx", v -> String.format(Locale.ROOT, "%.0f", v)));
        row(b, "latency p99 at max throughput", absUsRow("max", "p99_us"), "—");
        for (String rate : List.of("500", "2000")) {
            String cell = "r" + rate;
            row(b, "**" + rate + " req/s open loop, 20 ms fake:** added p50", addedRow(cell, "p50_us"), "—");
            row(b, "**" + rate + " req/s:** added p99", addedRow(cell, "p99_us"), "—");
        }
        row(b, "**streaming**, fake on the proxy's core (TTFT 20 ms, 20 chunks 2 ms apart): added time to first token p50",
                addedRow("stream", "ttft_p50_us"), addedVerdict("stream", "ttft_p50_us", 500));
        row(b, "streaming: added time to first token p99", addedRow("stream", "ttft_p99_us"), "—");
        row(b, "streaming: added inter-chunk gap p50", addedRow("stream", "gap_p50_us"), "—");
        row(b, "streaming: frames passed 1:1 (streams with every chunk, %)", absRow("stream", "exact_frames_pct", "%.0f"), "—");
        // e2ee: only Veil has it; the direct column is the plain stream baseline, the node row is SDK → node.
        row(b, "**e2ee streaming** (SDK → Veil → node → fake): added time to first token p50 vs plain direct",
                t -> switch (t) {
                    case "direct" -> "plain: " + plainUs(r.spread("e2ee", "ttft_p50_us", "direct"));
                    case "veil" -> addedUs(r.added("e2ee", "ttft_p50_us", "veil", "direct")) + "; SDK → node without Veil: "
                            + addedUs(r.added("e2ee", "ttft_p50_us", "node", "direct")) + "; Veil's share: "
                            + addedUs(r.added("e2ee", "ttft_p50_us", "veil", "node"));
                    default -> "—";
                }, "—");
        row(b, "e2ee streaming: added per-chunk gap p50 vs plain direct",
                t -> switch (t) {
                    case "direct" -> "plain: " + plainUs(r.spread("e2ee", "gap_p50_us", "direct"));
                    case "veil" -> addedUs(r.added("e2ee", "gap_p50_us", "veil", "direct")) + "; SDK → node without Veil: "
                            + addedUs(r.added("e2ee", "gap_p50_us", "node", "direct")) + "; Veil's share: "
                            + addedUs(r.added("e2ee", "gap_p50_us", "veil", "node"));
                    default -> "—";
                }, "crypto per request and chunk: see the JMH table");
        row(b, "e2ee streaming: frames passed 1:1 (%)", t -> switch (t) {
            case "direct" -> plain(r.spread("e2ee", "exact_frames_pct", "direct"), "%.0f");
            case "veil" -> plain(r.spread("e2ee", "exact_frames_pct", "veil"), "%.0f");
            default -> "—";
        }, "—");
        String heap = String.valueOf(m.getOrDefault("veil_jvm", "-Xmx128m"));
        row(b, "**resident memory** idle, after start (MiB)", absRow("memory", "rss_idle_mb", "%.0f"), "—");
        row(b, "resident memory under load, peak (MiB)", absRow("memory", "rss_load_mb", "%.0f"),
                verdict(r.spread("memory", "rss_load_mb", "veil").median(), 200, true, " MiB", v -> String.format(Locale.ROOT, "%.1f", v))
                        + " (" + heap + ")");
        row(b, "resident memory with the concurrent slow streams, peak (MiB)", absRow("memory", "rss_streams_mb", "%.0f"), "—");
        row(b, "resident memory after the load, 5 s idle (MiB)", absRow("memory", "rss_after_mb", "%.0f"), "—");
        String n = String.valueOf(m.getOrDefault("slow_streams", "5000"));
        row(b, "**" + n + " concurrent slow streams**: most held open at once", absRow("slow", "held", "%.0f"), "—");
        Stats.Spread slowErrors = r.spread("slow", "errors", "veil");
        row(b, n + " concurrent slow streams: failed streams", absRow("slow", "errors", "%.0f"),
                slowErrors.present() ? verdict(r.spreadMax("slow", "errors", "veil"), 0, true, " errors",
                        v -> String.format(Locale.ROOT, "%.0f", v)) : "not measured");
        row(b, "**success**: lowest success rate of any cell and repeat (%)", t -> number(r.lowestSuccess(t), "%.2f"),
                verdict(r.lowestSuccess("veil"), 100, false, " %", v -> String.format(Locale.ROOT, "%.2f", v)));
        b.append('\n');
        sharedSection(b);
        Map<String, String> notes = r.notes();
        if (!notes.isEmpty()) {
            b.append("Notes from this run (first error or remark per cell and target):\n\n");
            notes.forEach((k, v) -> b.append("- `").append(k.replace("|", "` / `")).append("`: ").append(v.replace("\n", " ")).append('\n'));
            b.append('\n');
        }
        b.append("Raw figures of every repeat: `").append(m.getOrDefault("raw_json", "bench/results/")).append("` and `")
                .append(m.getOrDefault("raw_csv", "")).append("` (git-ignored).\n");
        return b.toString();
    }

    /** The columns of the shared-state table, in order. */
    static final List<String> SHARED_ROUTES = List.of("direct", "veil", "veil-lb", "shared");

    /** A row of the shared-state table: one text per route, then the cost-of-sharing column. */
    private void sharedRow(StringBuilder b, String figure, Function<String, String> perRoute, String cost) {
        b.append("| ").append(figure).append(" |");
        for (String route : SHARED_ROUTES) {
            b.append(' ').append(perRoute.apply(route)).append(" |");
        }
        b.append(' ').append(cost).append(" |\n");
    }

    /** The lowest success rate of the shared cell's repeats for {@code route} (NaN when none). */
    private double sharedSuccess(String route) {
        double lowest = Double.NaN;
        for (String cell : List.of("shared.c1", "shared.max")) {
            for (double v : r.get(cell, "success_pct", route)) {
                if (!Double.isNaN(v) && (Double.isNaN(lowest) || v < lowest)) {
                    lowest = v;
                }
            }
        }
        return lowest;
    }

    /**
     * The shared-state cell's table, when it ran: the one-instance Veil on SQLite (alone and behind nginx) against two
     * instances sharing PostgreSQL and Valkey/Redis behind the same nginx, and the difference of the last two.
     */
    void sharedSection(StringBuilder b) {
        Map<String, Object> m = r.metaMap();
        boolean measured = !r.get("shared.c1", "p50_us", "shared").isEmpty() || !r.get("shared.max", "rps", "shared").isEmpty();
        String failed = r.noteFor("shared", "shared");
        if (!measured && failed == null) {
            return;
        }
        b.append("#### Shared state: two Veil instances on PostgreSQL and Valkey/Redis behind nginx\n\n");
        if (!measured) {
            b.append("Not measured: ").append(failed.replace("\n", " ")).append("\n\n");
            return;
        }
        b.append("- **Services:** ").append(m.getOrDefault("shared_services", "?")).append('\n');
        b.append("- **Warm-up:** ").append(m.getOrDefault("warmup.shared", "?")).append('\n');
        b.append("- **Shared state used:** commands on the counter server during the warm-up: ")
                .append(m.getOrDefault("shared_kv_commands", "not read")).append("; ")
                .append(m.getOrDefault("shared_request_log_rows", "request log not read")).append('\n');
        b.append('\n');
        b.append("Every path uses a key with limits high enough never to refuse (counted in memory by one instance, in "
                + "Valkey/Redis by the two). *Cost of sharing* is the two instances' figure minus the one instance's "
                + "behind the same nginx, in the same repeat.\n\n");
        b.append("| figure | direct (fake) | Veil, 1 instance, SQLite | nginx → Veil, 1 instance, SQLite "
                + "| nginx → 2 Veil instances, PostgreSQL + Valkey/Redis | cost of sharing |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (String pct : List.of("p50", "p99")) {
            String metric = pct + "_us";
            sharedRow(b, "**c=1, 0 ms fake on the gateway's core:** added latency " + pct,
                    t -> t.equals("direct") ? plainUs(r.spread("shared.c1", metric, t))
                            : addedUs(r.added("shared.c1", metric, t, "direct")),
                    addedUs(r.added("shared.c1", metric, "shared", "veil-lb")));
        }
        double one = r.spread("shared.max", "rps", "veil-lb").median();
        double two = r.spread("shared.max", "rps", "shared").median();
        sharedRow(b, "**max throughput**, c=" + m.getOrDefault("max_connections", "64")
                        + ", nginx mock, gateway tier on 1 core (req/s)",
                t -> plain(r.spread("shared.max", "rps", t), "%,.0f"),
                Double.isNaN(one) || Double.isNaN(two) || one <= 0 ? "n/a"
                        : signed(String.format(Locale.ROOT, "%,.0f", Math.abs(two - one)), two - one)
                        + String.format(Locale.ROOT, " req/s (%.0f %% of one instance behind nginx)", 100 * two / one));
        for (String pct : List.of("p50", "p99")) {
            String metric = pct + "_us";
            sharedRow(b, "latency " + pct + " at max throughput", t -> plainUs(r.spread("shared.max", metric, t)),
                    addedUs(r.added("shared.max", metric, "shared", "veil-lb")));
        }
        sharedRow(b, "lowest success rate of the cell's repeats (%)", t -> number(sharedSuccess(t), "%.2f"), "—");
        sharedRow(b, "resident memory after the cell (MiB; the two instances together)",
                t -> t.equals("veil") || t.equals("shared") ? plain(r.spread("shared.memory", "rss_mb", t), "%.0f") : "—",
                "—");
        b.append('\n');
    }

    /** Replaces the text between {@code begin} and {@code end} in {@code doc} (appending both when missing). */
    public static void replaceSection(Path doc, String begin, String end, String content) throws IOException {
        String text = Files.exists(doc) ? Files.readString(doc) : "# Benchmarks\n\n";
        int a = text.indexOf(begin);
        int z = text.indexOf(end);
        String block = begin + "\n" + content + (content.endsWith("\n") ? "" : "\n") + end;
        if (a >= 0 && z > a) {
            text = text.substring(0, a) + block + text.substring(z + end.length());
        } else {
            text = text + (text.endsWith("\n") ? "\n" : "\n\n") + block + "\n";
        }
        Files.writeString(doc, text);
    }
}
