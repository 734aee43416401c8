package dev.veil.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The side-by-side run: starts the fake upstream (and a Veil node for e2ee) in this JVM on the load generator's core,
 * nginx, Portkey and Veil each as its own process pinned to the gateway's core, warms them up, then runs every cell
 * with the targets interleaved (direct, nginx, Portkey, Veil, rotated each repeat) and writes the table, the raw JSON
 * and CSV.
 */
public final class Harness {

    /** Durations and sizes of one run. */
    public record Config(String mode, int repeats, long warmupNanos, long cellWarmNanos, long c1Nanos, long maxNanos,
                         int maxConnections, long fixedNanos, List<Integer> rates, int streamWarm, int streamCount,
                         int e2eeWarm, int e2eeCount, int slowStreams, int slowPerSecond, FakeMode slowMode) {

        static Config full() {
            return new Config("full", 3, secs(24), millis(700), secs(4), secs(4), 64, secs(4), List.of(500, 2000),
                    5, 80, 5, 50, 5000, 2500, new FakeMode(0, 0, 9, 1000, 0, 0));
        }

        static Config quick() {
            return new Config("quick", 3, secs(4), millis(300), secs(1), millis(1500), 64, millis(1500),
                    List.of(500, 2000), 3, 20, 3, 15, 5000, 2500, new FakeMode(0, 0, 4, 1000, 0, 0));
        }

        String durations() {
            return String.format(Locale.ROOT, "warm-up %d s per target (half whole requests at 64 connections, half "
                            + "fast streams at 16) then %d ms per cell; c=1 %.1f s, max rps %.1f s, "
                            + "fixed rates %.1f s, %d streams, %d e2ee streams, %d slow streams of %d s",
                    TimeUnit.NANOSECONDS.toSeconds(warmupNanos), TimeUnit.NANOSECONDS.toMillis(cellWarmNanos),
                    c1Nanos / 1e9, maxNanos / 1e9, fixedNanos / 1e9, streamCount, e2eeCount, slowStreams,
                    slowMode.streamMillis() / 1000);
        }
    }

    static long secs(long s) {
        return TimeUnit.SECONDS.toNanos(s);
    }

    static long millis(long ms) {
        return TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** Where things are and how to pin them. */
    public record Options(Path root, Path veilJar, Path portkeyDir, Path doc, Path resultsDir, int gatewayCpu,
                          int loadCpu, boolean pin, List<String> veilJvm, List<String> skip, List<String> cells,
                          String command, boolean keepWork) {
    }

    /** The cells of a run, in the order they run; {@code --cells} picks some of them (for investigating one figure). */
    static final List<String> CELLS = List.of("c1", "c1x", "max", "r500", "r2000", "stream", "responses", "e2ee",
            "shared", "slow");

    /** The cells named in {@code --cells}, refused when one is unknown. */
    static List<String> checkedCells(String list) {
        List<String> cells = List.of(list.split(","));
        for (String c : cells) {
            if (!CELLS.contains(c)) {
                throw new IllegalArgumentException("unknown cell " + c + "; the cells are " + String.join(",", CELLS));
            }
        }
        return cells;
    }

    private boolean runs(String cell) {
        return opt.cells().isEmpty() || opt.cells().contains(cell);
    }

    static final FakeMode ZERO = new FakeMode(0, 20, 20, 2, 0, 0);
    static final FakeMode L20 = new FakeMode(20, 20, 20, 2, 0, 0);
    static final FakeMode STREAM = new FakeMode(0, 20, 20, 2, 0, 0);
    /**
     * The warm-up's streams: the measured stream's 20 chunks without its waits, so that thousands of streams pass in
     * seconds. A JIT compiles a method after thousands of calls; 80 streams of the measured kind would leave a JVM
     * gateway's stream set-up interpreted or at the first compiler tier, and its first token slower than it is.
     */
    static final FakeMode WARM_STREAM = new FakeMode(0, 0, 20, 0, 0, 0);

    private final Config cfg;
    private final Options opt;
    private final Results results = new Results();
    private final Map<String, Double> rssPeak = new ConcurrentHashMap<>();
    private volatile String memoryPhase;
    /** The cell running now, so that the memory peak can be told per cell (where does the peak come from?). */
    private volatile String currentCell = "start";
    private final Map<String, Double> rssPeakByCell = new java.util.concurrent.ConcurrentSkipListMap<>();

    public Harness(Config cfg, Options opt) {
        this.cfg = cfg;
        this.opt = opt;
    }

    static final String RESPONSES_PATH = "/v1/responses";

    /** The Responses API's form of {@link #chatBody}: the same instructions, input and sampling. */
    static byte[] responsesBody(String model, boolean stream) {
        String json = "{\"model\":\"" + model + "\",\"instructions\":\"You are a helpful assistant. Answer briefly.\","
                + "\"input\":[{\"role\":\"user\",\"content\":\"Say hello to the benchmark in one short sentence, "
                + "please.\"}],\"temperature\":0.7,\"max_output_tokens\":64,\"user\":\"bench-user-42\""
                + (stream ? ",\"stream\":true" : "") + "}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] chatBody(String model, boolean stream) {
        String json = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful "
                + "assistant. Answer briefly.\"},{\"role\":\"user\",\"content\":\"Say hello to the benchmark in one short "
                + "sentence, please.\"}],\"temperature\":0.7,\"max_tokens\":64,\"user\":\"bench-user-42\""
                + (stream ? ",\"stream\":true" : "") + "}";
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static void log(String message) {
        System.out.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + message);
        System.out.flush();
    }

    public Results run() throws Exception {
        long started = System.nanoTime();
        Path work = Files.createTempDirectory("veil-bench-");
        log("mode " + cfg.mode() + ", work folder " + work);
        try {
            measure(work);
        } finally {
            // After every process is stopped (measure closes them): configurations, logs, databases, wrk scripts.
            removeWork(work);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        results.meta("duration", String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60));
        results.meta("finished", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")));
        noise("end");
        write();
        log("done in " + results.meta("duration"));
        return results;
    }

    /** Starts everything in {@code work}, runs the cells and stops everything again. */
    private void measure(Path work) throws Exception {
        try (LoadGen load = new LoadGen();
             FakeUpstream fake = FakeUpstream.start("127.0.0.1", 0);
             Upstreams upstreams = new Upstreams()) {
            log("starting the fake on the gateway's core and the nginx mock");
            upstreams.start(work, opt.gatewayCpu(), opt.loadCpu(), opt.pin(), fake.port());
            upstreams.notes().forEach(n -> results.note("setup", "upstreams", n));
            String streamModel = STREAM.modelName();
            VeilNode node = null;
            try {
                node = VeilNode.start(NodeSettings.of(fake.baseUrl(), Map.of(VeilTarget.E2EE_MODEL, streamModel)));
            } catch (RuntimeException e) {
                results.note("e2ee", "node", "the Veil node did not start: " + e.getMessage());
            }
            List<String> models = java.util.stream.Stream.of(ZERO.modelName(), L20.modelName(), STREAM.modelName(),
                    WARM_STREAM.modelName(),
                    cfg.slowMode().modelName(), Target.Up.FAKE_B.model(ZERO), Target.Up.FAKE_B.model(STREAM),
                    Target.Up.MOCK.model(ZERO)).distinct().toList();
            List<Target> targets = new ArrayList<>();
            targets.add(new Target.Direct());
            targets.add(new Target.Nginx());
            targets.add(new Target.Portkey(opt.portkeyDir()));
            targets.add(new VeilTarget(opt.veilJar(), opt.veilJvm(), models, node == null ? 0 : node.port(),
                    runsShared()));
            Target.Env env = new Target.Env(work, opt.gatewayCpu(), opt.loadCpu(), opt.pin(), upstreams.ports());
            Thread sampler = null;
            // Stop the peers' processes also when the run is interrupted (Ctrl-C, SIGTERM).
            Thread cleanup = new Thread(() -> {
                SharedVeil shared = activeShared;
                if (shared != null) {
                    shared.close();
                }
                targets.forEach(Target::close);
                upstreams.close();
                removeWork(work);
            }, "bench-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                for (Target t : targets) {
                    if (opt.skip().contains(t.name())) {
                        t.markUnavailable("skipped with --skip");
                        continue;
                    }
                    log("starting " + t.label());
                    t.startOrMark(env);
                    if (!t.available()) {
                        log(t.label() + " is n/a: " + t.unavailableReason());
                    }
                }
                Thread.sleep(2000);
                for (Target t : targets) {
                    if (t.available()) {
                        results.put("memory", "rss_idle_mb", t.name(), t.rssMb());
                    }
                }
                sampler = startSampler(targets);
                for (Target t : targets) {
                    if (t.available()) {
                        check(load, t);
                    }
                }
                meta(targets, fake, work);
                for (Target t : targets) {
                    if (t.available()) {
                        log("warming up " + t.label());
                        // The research note asks for at least 10 s or 50,000 requests; a JVM on one core is still
                        // compiling after that, so the warm-up gives every target the same 24 s of both kinds of load.
                        LoadGen.Closed whole = load.closedLoop(t.dest(Target.Up.FAKE), chatBody(ZERO.modelName(), false),
                                cfg.maxConnections(), 0, cfg.warmupNanos() / 2);
                        LoadGen.Closed streams = load.closedLoop(t.dest(Target.Up.FAKE),
                                chatBody(WARM_STREAM.modelName(), true), 16, 0, cfg.warmupNanos() / 2);
                        results.meta("warmup." + t.name(), whole.ok() + " requests and " + streams.ok() + " streams");
                    }
                }
                memoryPhase = "load";
                CpuAccount cpu = CpuAccount.start();
                if (runs("c1")) {
                    cellC1(load, targets, "c1", Target.Up.FAKE_B);
                }
                if (runs("c1x")) {
                    cellC1(load, targets, "c1x", Target.Up.FAKE);
                }
                if (runs("max")) {
                    cellMax(load, targets, work);
                }
                for (int rate : cfg.rates()) {
                    if (runs("r" + rate)) {
                        cellRate(load, targets, rate);
                    }
                }
                if (runs("stream")) {
                    cellStream(load, targets);
                }
                if (runs("responses")) {
                    cellResponses(load, targets);
                }
                if (runs("e2ee")) {
                    cellE2ee(load, targets, node);
                }
                if (runsShared()) {
                    cellShared(load, targets, env, models, cpu);
                } else if (runs("shared")) {
                    results.note("shared", "shared", "skipped with --skip shared");
                }
                memoryPhase = "streams";
                if (runs("slow")) {
                    cellSlow(load, targets);
                }
                memoryPhase = null;
                double foreign = cpu.foreignPercent();
                results.meta("foreign_cpu_pct", foreign);
                String verdict = String.format(Locale.ROOT, "other processes used %.1f %% of the machine's CPU during the "
                        + "cells", foreign) + (foreign > 5 ? " (**noisy: compare with care**)" : " (quiet)");
                results.meta("noise", results.meta("noise") + "; " + verdict);
                log(verdict);
                StringBuilder perCell = new StringBuilder("resident memory peak per cell (MiB):");
                rssPeakByCell.forEach((cell, mb) -> perCell.append(String.format(Locale.ROOT, " %s %.0f;", cell, mb)));
                results.note("memory", "veil", perCell.substring(0, perCell.length() - 1));
                log("resting 5 s for the 'after' memory figure");
                Thread.sleep(5000);
                for (Target t : targets) {
                    if (t.available()) {
                        results.put("memory", "rss_after_mb", t.name(), t.rssMb());
                        results.put("memory", "rss_load_mb", t.name(), rssPeak.getOrDefault(t.name() + "|load", Double.NaN));
                        results.put("memory", "rss_streams_mb", t.name(), rssPeak.getOrDefault(t.name() + "|streams", Double.NaN));
                    }
                }
                for (Target t : targets) {
                    if (!t.available()) {
                        results.meta("unavailable." + t.name(), t.unavailableReason());
                    }
                }
            } finally {
                if (sampler != null) {
                    sampler.interrupt();
                }
                for (Target t : targets) {
                    t.close();
                }
                if (node != null) {
                    node.close();
                }
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down
                }
            }
        }
    }

    /** Deletes the run's work folder, unless {@code --keep-work} asked to keep it for reading the processes' logs. */
    private void removeWork(Path work) {
        if (opt.keepWork()) {
            log("kept the work folder " + work + " (--keep-work)");
            return;
        }
        try (var paths = Files.walk(work)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException | RuntimeException e) {
            log("could not remove the work folder " + work + ": " + e.getMessage());
        }
    }

    private boolean runsShared() {
        return runs("shared") && !opt.skip().contains("shared");
    }

    // ------------------------------------------------------------------------------------------------ set-up

    /** One whole answer and one stream must work, or the target is n/a with the reason. */
    private void check(LoadGen load, Target t) throws InterruptedException {
        for (Target.Up up : Target.Up.values()) {
            // A cold JVM on a busy machine can take longer than one short window for its first answer: the check asks
            // whether the target works, not how fast, so it tries for up to ten seconds.
            LoadGen.Closed whole = load.closedLoop(t.dest(up), chatBody(up.model(ZERO), false), 1, 0, millis(300));
            for (int attempt = 1; whole.ok() == 0 && attempt < 10; attempt++) {
                Thread.sleep(700);
                whole = load.closedLoop(t.dest(up), chatBody(up.model(ZERO), false), 1, 0, millis(300));
            }
            if (whole.ok() == 0) {
                t.markUnavailable("no successful answer from " + up.prefix + ": " + whole.firstError());
                log(t.label() + " failed its check: " + t.unavailableReason());
                return;
            }
        }
        LoadGen.Streams s = load.streams(t.dest(Target.Up.FAKE), chatBody(STREAM.modelName(), true), 0, 2, STREAM.chunks());
        if (s.ok() == 0) {
            t.markUnavailable("streaming failed: " + s.firstError());
            log(t.label() + " failed its streaming check: " + t.unavailableReason());
        } else if (s.exactFrames() < s.streams()) {
            results.note("check", t.name(), "streaming check: " + s.firstError());
        }
    }

    private Thread startSampler(List<Target> targets) {
        Thread thread = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                String phase = memoryPhase;
                if (phase != null) {
                    for (Target t : targets) {
                        if (t.available() && t.pid() > 0) {
                            double mb = t.rssMb();
                            rssPeak.merge(t.name() + "|" + phase, mb, Math::max);
                            if (t.name().equals("veil")) {
                                rssPeakByCell.merge(currentCell, mb, Math::max);
                            }
                        }
                    }
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private void meta(List<Target> targets, FakeUpstream fake, Path work) {
        results.meta("mode", cfg.mode() + (cfg.mode().equals("quick") ? ": short durations, proves every cell works; "
                + "not for comparison" : ""));
        results.meta("command", opt.command());
        results.meta("repeats", cfg.repeats());
        results.meta("durations", cfg.durations());
        results.meta("max_connections", cfg.maxConnections());
        results.meta("slow_streams", cfg.slowStreams());
        results.meta("veil_jvm", String.join(" ", opt.veilJvm()));
        results.meta("machine", machine(opt.root()));
        results.meta("pinning", opt.pin() ? "the proxy under test (nginx, Portkey, Veil) on CPU " + opt.gatewayCpu()
                + " with taskset; the load generator, the fake upstream, the nginx mock and the Veil node on CPU "
                + opt.loadCpu() + "; for the first c=1 cell and the streaming cell a second fake process on CPU " + opt.gatewayCpu()
                + " (with the proxy, as in the research note)"
                : "not pinned (taskset unavailable or --no-pin)");
        StringBuilder v = new StringBuilder();
        for (Target t : targets) {
            if (!t.name().equals("direct")) {
                v.append(t.label()).append(": ").append(t.available() ? t.version() : "n/a (" + t.unavailableReason() + ")")
                        .append("; ");
            }
        }
        v.append("fake upstream: Vert.x, one event loop; zero-latency mock for max throughput: nginx `return 200`; "
                + "max-throughput generator: ").append(Wrk.available() ? Target.firstLine(List.of("sh", "-c",
                "wrk -v 2>&1 | head -1")).replaceAll(" \\[.*", "") + ", 1 thread" : "Java (wrk not installed)")
                .append("; other cells: Vert.x client with HdrHistogram");
        results.meta("versions", v.toString());
        noise("start");
    }

    /** The machine, the JDK and the commit Veil was built from, for the line above a table. */
    static String machine(Path root) {
        String cpu = Target.firstLine(List.of("sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"));
        return cpu.trim() + ", " + Runtime.getRuntime().availableProcessors() + " CPU(s) visible to the "
                + "harness, " + Target.firstLine(List.of("nproc", "--all")) + " online, "
                + Target.firstLine(List.of("sh", "-c", "free -g | awk '/Mem:/{print $2\" GiB RAM\"}'")) + ", "
                + Target.firstLine(List.of("uname", "-sr")) + ", JDK " + System.getProperty("java.version")
                + "; Veil built from commit " + Target.firstLine(List.of("git", "-C", root.toString(), "rev-parse",
                "--short", "HEAD")) + " plus the working tree at build time";
    }

    /** Records the load average and any other heavy process (a Maven build, a test JVM) at this point. */
    private void noise(String when) {
        String text = noiseText(when);
        Object before = results.meta("noise");
        results.meta("noise", before == null ? text : before + "; " + text);
        if (text.contains("**")) {
            log("WARNING: " + text);
        }
    }

    /** The load average and any other heavy process (a Maven build, a test JVM) at this point, as one phrase. */
    static String noiseText(String when) {
        String load = Target.firstLine(List.of("cat", "/proc/loadavg"));
        List<String> heavy = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        ProcessHandle.allProcesses().forEach(p -> {
            if (p.pid() == self || p.parent().map(pp -> pp.pid() == self).orElse(false)) {
                return;
            }
            String cmd = p.info().commandLine().orElse("");
            if (cmd.contains("plexus-classworlds") || cmd.contains("surefire") || cmd.contains("failsafe")) {
                heavy.add(cmd.contains("plexus-classworlds") ? "maven" : "test JVM");
            }
        });
        return "load average at " + when + " " + String.join(" ", java.util.Arrays.copyOf(load.split(" "), 3))
                + (heavy.isEmpty() ? ", no other Maven build or test JVM running"
                : "; **other heavy processes running: " + heavy.size() + " (" + String.join(", ", heavy.stream().distinct().toList())
                + ")**: figures are noisy");
    }

    // ------------------------------------------------------------------------------------------------ cells

    /** Runs {@code body} for each available target, repeats interleaved and rotated. */
    private void interleaved(String cell, List<Target> targets, Consumer<Target> body) {
        log("cell " + cell + " " + Target.firstLine(List.of("cat", "/proc/loadavg")));
        currentCell = cell;
        for (int rep = 0; rep < cfg.repeats(); rep++) {
            for (int i = 0; i < targets.size(); i++) {
                Target t = targets.get((i + rep) % targets.size());
                if (!t.available()) {
                    continue;
                }
                try {
                    body.accept(t);
                } catch (RuntimeException e) {
                    results.note(cell, t.name(), "run failed: " + e.getMessage());
                    log(cell + " / " + t.label() + " failed: " + e);
                }
            }
        }
    }

    private void cellC1(LoadGen load, List<Target> targets, String cell, Target.Up up) {
        byte[] body = chatBody(up.model(ZERO), false);
        interleaved(cell, targets, t -> {
            LoadGen.Closed c = load.closedLoop(t.dest(up), body, 1, cfg.cellWarmNanos(), cfg.c1Nanos());
            results.put(cell, "p50_us", t.name(), Stats.micros(c.latency(), 50));
            results.put(cell, "p99_us", t.name(), Stats.micros(c.latency(), 99));
            results.put(cell, "rps", t.name(), c.rps());
            results.put(cell, "success_pct", t.name(), c.successPct());
            results.note(cell, t.name(), c.firstError());
        });
    }

    private void cellMax(LoadGen load, List<Target> targets, Path work) {
        byte[] body = chatBody(Target.Up.MOCK.model(ZERO), false);
        results.meta("max_generator", Wrk.available() ? "wrk 1 thread" : "the Java load generator (wrk not installed)");
        interleaved("max", targets, t -> measureMax(load, "max", t.name(), t.dest(Target.Up.MOCK), body, work));
    }

    /**
     * One repeat of a maximum-throughput cell for {@code target}: wrk (a 1 s run to warm the connections, then the
     * measured one) or, without wrk, the Java generator's closed loop; answers that are not 2xx count as failures.
     */
    private void measureMax(LoadGen load, String cell, String target, Dest dest, byte[] body, Path work) {
        if (Wrk.available()) {
            int seconds = (int) Math.max(1, Math.round(cfg.maxNanos() / 1e9));
            try {
                Path script = Wrk.script(work, dest, body);
                Wrk.run(script, dest, cfg.maxConnections(), 1);
                Wrk.Result w = Wrk.run(script, dest, cfg.maxConnections(), seconds);
                results.put(cell, "rps", target, w.rps());
                results.put(cell, "p50_us", target, w.p50us());
                results.put(cell, "p99_us", target, w.p99us());
                results.put(cell, "success_pct", target, w.successPct());
                results.note(cell, target, w.firstError());
            } catch (Exception e) {
                throw new IllegalStateException("wrk failed: " + e.getMessage(), e);
            }
            return;
        }
        LoadGen.Closed c = load.closedLoop(dest, body, cfg.maxConnections(), cfg.cellWarmNanos(), cfg.maxNanos());
        results.put(cell, "rps", target, c.rps());
        results.put(cell, "p50_us", target, Stats.micros(c.latency(), 50));
        results.put(cell, "p99_us", target, Stats.micros(c.latency(), 99));
        results.put(cell, "success_pct", target, c.successPct());
        results.note(cell, target, c.firstError());
    }

    private void cellRate(LoadGen load, List<Target> targets, int rate) {
        byte[] body = chatBody(L20.modelName(), false);
        String cell = "r" + rate;
        interleaved(cell, targets, t -> {
            LoadGen.Open o = load.openLoop(t.dest(Target.Up.FAKE), body, rate, cfg.cellWarmNanos(), cfg.fixedNanos(), secs(10), 1000);
            results.put(cell, "p50_us", t.name(), Stats.micros(o.latency(), 50));
            results.put(cell, "p99_us", t.name(), Stats.micros(o.latency(), 99));
            results.put(cell, "achieved_rps", t.name(), o.achievedRps());
            results.put(cell, "success_pct", t.name(), o.successPct());
            results.note(cell, t.name(), o.firstError());
        });
    }

    private void putStreams(String cell, String target, LoadGen.Streams s, long gapNanos) {
        results.put(cell, "ttft_p50_us", target, Stats.micros(s.ttft(), 50));
        results.put(cell, "ttft_p99_us", target, Stats.micros(s.ttft(), 99));
        results.put(cell, "gap_p50_us", target, Stats.micros(s.gap(), 50));
        results.put(cell, "gap_p99_us", target, Stats.micros(s.gap(), 99));
        results.put(cell, "exact_frames_pct", target, s.exactFramesPct());
        results.put(cell, "success_pct", target, s.successPct());
        results.note(cell, target, s.firstError());
        double gapP50 = Stats.micros(s.gap(), 50);
        if (!Double.isNaN(gapP50) && gapP50 < gapNanos / 1000.0 / 2) {
            results.note(cell, target, String.format(Locale.ROOT, "chunks arrive bunched: gap p50 %.0f µs for %d µs sent",
                    gapP50, gapNanos / 1000));
        }
    }

    private void cellStream(LoadGen load, List<Target> targets) {
        // The fake on the proxy's core, as for c=1: otherwise every proxied stream pays two extra idle-core wake-ups.
        byte[] body = chatBody(Target.Up.FAKE_B.model(STREAM), true);
        interleaved("stream", targets, t -> {
            LoadGen.Streams s = load.streams(t.dest(Target.Up.FAKE_B), body, cfg.streamWarm(), cfg.streamCount(), STREAM.chunks());
            putStreams("stream", t.name(), s, millis(STREAM.gapMs()));
        });
    }

    /**
     * The streaming cell for OpenAI's Responses API: the same model, pace and chunk count as {@code stream}, as typed
     * events ending with {@code response.completed} (no {@code [DONE]}); a peer that does not serve
     * {@code /v1/responses} shows as errors in its column.
     */
    private void cellResponses(LoadGen load, List<Target> targets) {
        byte[] body = responsesBody(Target.Up.FAKE_B.model(STREAM), true);
        interleaved("responses", targets, t -> {
            LoadGen.Streams s = load.streams(t.dest(Target.Up.FAKE_B).at(RESPONSES_PATH), body, cfg.streamWarm(),
                    cfg.streamCount(), STREAM.chunks());
            putStreams("responses", t.name(), s, millis(STREAM.gapMs()));
        });
    }

    private void cellE2ee(LoadGen load, List<Target> targets, VeilNode node) {
        Target direct = targets.get(0);
        VeilTarget veil = (VeilTarget) targets.get(3);
        if (node == null || !veil.available()) {
            results.note("e2ee", "veil", node == null ? "no Veil node" : "Veil is n/a");
            return;
        }
        log("cell e2ee " + Target.firstLine(List.of("cat", "/proc/loadavg")));
        currentCell = "e2ee";
        byte[] plain = chatBody(STREAM.modelName(), true);
        byte[] sealed = chatBody(VeilTarget.E2EE_MODEL, true);
        try (E2eeStreams viaVeil = new E2eeStreams(veil.origin(), veil.apiKey());
             E2eeStreams toNode = new E2eeStreams(node.baseUrl(), null)) {
            // The SDK, the node and BouncyCastle's X25519 run in this JVM: JIT-compile them before measuring
            // (cold, the first streams take tens of milliseconds more).
            int warm = cfg.mode().equals("quick") ? 40 : 100;
            for (E2eeStreams path : List.of(toNode, viaVeil)) {
                LoadGen.Streams w = path.run(VeilTarget.E2EE_MODEL, sealed, warm, 0, STREAM.chunks());
                if (w.firstError() != null && w.firstError().startsWith("stopped")) {
                    String who = path == toNode ? "node" : "veil";
                    results.note("e2ee", who, "warm-up failed, cell skipped: " + w.firstError());
                    log("e2ee warm-up through " + who + " failed: " + w.firstError());
                    return;
                }
            }
            for (int rep = 0; rep < cfg.repeats(); rep++) {
                for (int i = 0; i < 3; i++) {
                    switch ((i + rep) % 3) {
                        case 0 -> putStreams("e2ee", "direct", load.streams(direct.dest(Target.Up.FAKE), plain, cfg.e2eeWarm(),
                                cfg.e2eeCount(), STREAM.chunks()), millis(STREAM.gapMs()));
                        case 1 -> putStreams("e2ee", "node", toNode.run(VeilTarget.E2EE_MODEL, sealed, cfg.e2eeWarm(),
                                cfg.e2eeCount(), STREAM.chunks()), millis(STREAM.gapMs()));
                        default -> putStreams("e2ee", "veil", viaVeil.run(VeilTarget.E2EE_MODEL, sealed, cfg.e2eeWarm(),
                                cfg.e2eeCount(), STREAM.chunks()), millis(STREAM.gapMs()));
                    }
                }
            }
        } catch (RuntimeException e) {
            results.note("e2ee", "veil", "run failed: " + e.getMessage());
            log("e2ee failed: " + e);
        }
    }

    /** A path the shared-state cell measures: its name in the results, and where its requests go. */
    private record Route(String name, java.util.function.Function<Target.Up, Dest> dest) {
    }

    /** The shared-state deployment while its cell runs, so that an interrupted run stops it too. */
    private volatile SharedVeil activeShared;

    /**
     * The cost of sharing: two Veil instances on one PostgreSQL and one Valkey/Redis behind nginx, against the
     * one-instance Veil on SQLite, alone and behind the same nginx; all with a key whose limits are counted but never
     * reached. Started for this cell only and stopped after it, so that the other cells run as before.
     */
    private void cellShared(LoadGen load, List<Target> targets, Target.Env env, List<String> models, CpuAccount cpu) {
        Target direct = targets.get(0);
        VeilTarget veil = (VeilTarget) targets.get(3);
        log("cell shared " + Target.firstLine(List.of("cat", "/proc/loadavg")));
        currentCell = "shared";
        if (!veil.available()) {
            results.note("shared", "shared", "not run: the one-instance Veil is n/a");
            return;
        }
        long startedAt = System.nanoTime();
        try (SharedVeil shared = SharedVeil.start(env, opt.veilJar(), opt.veilJvm(), models, veil)) {
            activeShared = shared;
            results.meta("shared_services", "PostgreSQL " + shared.postgresVersion() + ", " + shared.kv().version()
                    + " (redis.timeout_ms " + SharedVeil.REDIS_TIMEOUT_MS + "), " + shared.nginxVersion()
                    + " as the load balancer; all on CPU " + (opt.pin() ? opt.gatewayCpu() + " (taskset)" : "any (unpinned)"));
            log(String.format(Locale.ROOT, "shared deployment up in %.1f s: %s", (System.nanoTime() - startedAt) / 1e9,
                    results.meta("shared_services")));
            Dest one = shared.singleBehindBalancer(veil);
            Dest two = shared.shared();
            List<Route> routes = List.of(new Route("direct", direct::dest), new Route("veil", veil::limitedDest),
                    new Route("veil-lb", up -> one), new Route("shared", up -> two));
            for (Route route : routes.subList(1, routes.size())) {
                String problem = checkRoute(load, route);
                if (problem != null) {
                    results.note("shared", route.name(), problem);
                    log("shared cell stopped: " + route.name() + " " + problem);
                    return;
                }
            }
            // The two instances have just started: the same warm-up as every target had, and at least enough requests
            // for each instance's JIT (each answers about half); the one instance's path with the limited key gets
            // half of both.
            log("warming up the shared deployment and the one instance's limited key");
            Map<String, Long> kvBefore = shared.kv().commandCalls();
            long[] warm = warmUp(load, two, cfg.warmupNanos(), SHARED_WARM_REQUESTS);
            Map<String, Long> kvAfter = shared.kv().commandCalls();
            long[] warmOne = warmUp(load, veil.limitedDest(Target.Up.FAKE), cfg.warmupNanos() / 2,
                    SHARED_WARM_REQUESTS / 2);
            results.meta("warmup.shared", warm[0] + " requests through the two instances"
                    + (warm[1] > 0 ? " (and " + warm[1] + " failed)" : "") + " in " + warm[2] + " s, " + warmOne[0]
                    + " with the limited key to the one instance in " + warmOne[2] + " s");
            results.meta("shared_kv_commands", KeyValueServer.perRequest(kvBefore, kvAfter, warm[0] + warm[1]));
            Thread.sleep(1500); // the metering writer's flush, before counting the rows
            results.meta("shared_request_log_rows", shared.requestLogRows() + " rows in PostgreSQL's request log after "
                    + warm[0] + " warm-up requests and the checks");

            byte[] c1Body = chatBody(Target.Up.FAKE_B.model(ZERO), false);
            sharedRepeats("shared.c1", routes, route -> {
                LoadGen.Closed c = load.closedLoop(route.dest().apply(Target.Up.FAKE_B), c1Body, 1, cfg.cellWarmNanos(),
                        cfg.c1Nanos());
                results.put("shared.c1", "p50_us", route.name(), Stats.micros(c.latency(), 50));
                results.put("shared.c1", "p99_us", route.name(), Stats.micros(c.latency(), 99));
                results.put("shared.c1", "rps", route.name(), c.rps());
                results.put("shared.c1", "success_pct", route.name(), c.successPct());
                results.note("shared.c1", route.name(), c.firstError());
            });
            byte[] maxBody = chatBody(Target.Up.MOCK.model(ZERO), false);
            sharedRepeats("shared.max", routes, route -> measureMax(load, "shared.max", route.name(),
                    route.dest().apply(Target.Up.MOCK), maxBody, env.work()));
            results.put("shared.memory", "rss_mb", "veil", veil.rssMb());
            results.put("shared.memory", "rss_mb", "shared", shared.instancesRssMb());
            cpu.credit(shared.postgresTicksOutsideHarness());
        } catch (Exception e) {
            results.note("shared", "shared", "the shared deployment failed: " + e.getMessage());
            log("shared cell failed: " + e);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        } finally {
            activeShared = null;
        }
    }

    /**
     * Requests the shared cell's warm-up sends through the two instances at least (half of them to the one instance's
     * limited key): a JIT compiles a method after about ten thousand calls, and a time alone gives a JVM on a busy
     * core only hundreds (a quick run's four seconds on a loaded machine: 126 to 554 requests, and the instances were
     * still interpreting, 5 ms slower per request).
     */
    static final long SHARED_WARM_REQUESTS = 20_000;

    /** Longest the shared cell's warm-up of one path goes on for its request count. */
    static final long SHARED_WARM_CAP_NANOS = TimeUnit.SECONDS.toNanos(90);

    /**
     * Whole requests on {@link Config#maxConnections} connections for {@code minNanos}, then on in two-second rounds
     * until {@code minRequests} were answered or {@link #SHARED_WARM_CAP_NANOS} is over.
     *
     * @return requests answered, requests failed, seconds taken
     */
    private long[] warmUp(LoadGen load, Dest dest, long minNanos, long minRequests) {
        long start = System.nanoTime();
        byte[] body = chatBody(ZERO.modelName(), false);
        LoadGen.Closed first = load.closedLoop(dest, body, cfg.maxConnections(), 0, minNanos);
        long ok = first.ok();
        long errors = first.errors();
        while (ok < minRequests && System.nanoTime() - start < SHARED_WARM_CAP_NANOS) {
            LoadGen.Closed more = load.closedLoop(dest, body, cfg.maxConnections(), 0, secs(2));
            ok += more.ok();
            errors += more.errors();
        }
        return new long[] {ok, errors, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)};
    }

    /** One answer from every upstream through {@code route} (ten seconds of tries), or what went wrong. */
    private String checkRoute(LoadGen load, Route route) throws InterruptedException {
        for (Target.Up up : Target.Up.values()) {
            byte[] body = chatBody(up.model(ZERO), false);
            LoadGen.Closed whole = load.closedLoop(route.dest().apply(up), body, 1, 0, millis(300));
            for (int attempt = 1; whole.ok() == 0 && attempt < 10; attempt++) {
                Thread.sleep(700);
                whole = load.closedLoop(route.dest().apply(up), body, 1, 0, millis(300));
            }
            if (whole.ok() == 0) {
                return "no successful answer from " + up.prefix + ": " + whole.firstError();
            }
        }
        return null;
    }

    /** Runs {@code body} for each route, repeats interleaved and rotated, as {@link #interleaved} does for targets. */
    private void sharedRepeats(String cell, List<Route> routes, Consumer<Route> body) {
        log("cell " + cell + " " + Target.firstLine(List.of("cat", "/proc/loadavg")));
        for (int rep = 0; rep < cfg.repeats(); rep++) {
            for (int i = 0; i < routes.size(); i++) {
                Route route = routes.get((i + rep) % routes.size());
                try {
                    body.accept(route);
                } catch (RuntimeException e) {
                    results.note(cell, route.name(), "run failed: " + e.getMessage());
                    log(cell + " / " + route.name() + " failed: " + e);
                }
            }
        }
    }

    private void cellSlow(LoadGen load, List<Target> targets) {
        FakeMode mode = cfg.slowMode();
        byte[] body = chatBody(mode.modelName(), true);
        long timeout = millis(mode.streamMillis()) + secs(cfg.slowStreams() / cfg.slowPerSecond() + 20);
        interleaved("slow", targets, t -> {
            LoadGen.Slow s = load.slowStreams(t.dest(Target.Up.FAKE), body, cfg.slowStreams(), cfg.slowPerSecond(), mode.chunks(), timeout);
            results.put("slow", "held", t.name(), s.maxOpen());
            results.put("slow", "ok", t.name(), s.ok());
            results.put("slow", "errors", t.name(), s.errors());
            results.put("slow", "success_pct", t.name(), s.successPct());
            results.note("slow", t.name(), s.firstError());
            log(String.format(Locale.ROOT, "  %s: %d/%d streams ok, %d errors, %d held at once", t.label(), s.ok(),
                    s.requested(), s.errors(), s.maxOpen()));
            // Let closed connections settle before the next target.
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    // ------------------------------------------------------------------------------------------------ output

    private void write() throws Exception {
        Files.createDirectories(opt.resultsDir());
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path json = opt.resultsDir().resolve("bench-" + stamp + "-" + cfg.mode() + ".json");
        Path csv = opt.resultsDir().resolve("bench-" + stamp + "-" + cfg.mode() + ".csv");
        results.meta("raw_json", relative(json));
        results.meta("raw_csv", relative(csv));
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), sanitize(results.toMap()));
        Files.writeString(csv, results.toCsv());
        String table = new Report(results).markdown();
        Report.replaceSection(opt.doc(), Report.BEGIN, Report.END, table);
        log("wrote " + json + ", " + csv + " and the table in " + opt.doc());
        System.out.println();
        System.out.println(table);
    }

    private String relative(Path p) {
        try {
            return opt.root().toAbsolutePath().relativize(p.toAbsolutePath()).toString();
        } catch (IllegalArgumentException e) {
            return p.toString();
        }
    }

    /** NaN is not JSON: write null instead. */
    @SuppressWarnings("unchecked")
    static Object sanitize(Object o) {
        if (o instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? null : d;
        }
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), sanitize(v)));
            return out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(sanitize(v)));
            return out;
        }
        return o;
    }

}
