package dev.veil.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak run (bench/soak): Veil as an operator starts it, pinned to the gateway's core, with one model served by
 * three routes: {@code flaky} (a fake upstream that injects the faults of a {@link FaultPlan} into a share of its
 * answers), {@code down} (a port nobody listens on) and {@code steady} (a fake that always answers correctly), so that
 * every request has a healthy route. Well-behaved clients send whole and streamed chat completions at a fixed rate
 * ({@link LoadGen#soak}) while {@link HostileClients} misbehave alongside; Veil's resident memory and descriptors are
 * sampled once a second ({@link ProcessProbe}). Everything is on 127.0.0.1, and the run stops by itself. The table
 * goes into docs/benchmarks.md ({@link SoakReport}), the raw figures into bench/results/.
 */
public final class Soak {

    /** The public model the well-behaved clients ask for. */
    static final String MODEL = "soak-chat";
    /** A model served by the steady fake alone: the start-up check. */
    static final String CHECK_MODEL = "soak-check";
    /** The long stream the non-reading hostile clients ask for (20,000 chunks, 1 ms apart, about 5 MB). */
    static final String LONG_MODEL = "soak-long";
    /** What the fakes answer for {@link #MODEL}: a whole answer after 20 ms; a stream of 10 chunks 5 ms apart. */
    static final FakeMode MODE = new FakeMode(20, 20, 10, 5, 0, 0);
    static final FakeMode LONG_MODE = new FakeMode(0, 0, 20_000, 1, 0, 0);
    /** Veil's upstream idle timeout in the soak: the stalls and slow first bytes go beyond it. */
    static final long UPSTREAM_IDLE_MS = 2_000;
    /** A well-behaved client gives up on a request after this long without a byte. */
    static final long CLIENT_IDLE_MS = 20_000;
    /** Warm-up before the load, on the steady route alone. */
    static final long WARM_SECONDS = 20;
    /** Rest after the load before the "after" figures: idle pooled upstream connections leave Veil's pool meanwhile. */
    static final long REST_SECONDS = 20;

    /** What to run, where things are, and how to pin them. */
    public record Options(Path root, Path veilJar, Path doc, Path resultsDir, int gatewayCpu, int loadCpu, boolean pin,
                          List<String> veilJvm, String command, long durationSeconds, int rate, int streamPercent,
                          int faultPercent, String faults, Set<HostileClients.Kind> hostile, int hostilePerSecond,
                          int hostileMax, boolean writeDoc) {
    }

    private final Options opt;

    public Soak(Options opt) {
        this.opt = opt;
    }

    private static void log(String message) {
        System.out.println("[soak " + java.time.LocalTime.now().withNano(0) + "] " + message);
        System.out.flush();
    }

    /** Runs the soak, writes the section and the raw figures; returns the figures. */
    public SoakReport.Figures run() throws Exception {
        long started = System.nanoTime();
        Path work = Files.createTempDirectory("veil-soak-");
        FaultPlan plan = FaultPlan.of(opt.faultPercent(), opt.faults(), 3 * UPSTREAM_IDLE_MS);
        Map<String, String> meta = new LinkedHashMap<>();
        String noiseStart = Harness.noiseText("start");
        log("work folder " + work + "; " + noiseStart);
        FaultLog faultLog = new FaultLog();
        int downPort = Target.freePort();
        try (FakeUpstream flaky = FakeUpstream.start("127.0.0.1", 0, plan, faultLog);
             FakeUpstream steady = FakeUpstream.start("127.0.0.1", 0, FaultPlan.NONE, faultLog);
             LoadGen load = new LoadGen();
             VeilTarget veil = new VeilTarget(opt.veilJar(), opt.veilJvm(),
                     (env, port, data) -> config(port, data, flaky.baseUrl(), steady.baseUrl(), downPort))) {
            Target.Env env = new Target.Env(work, opt.gatewayCpu(), opt.loadCpu(), opt.pin(), Map.of());
            // Stop Veil also when the run is interrupted (Ctrl-C, SIGTERM).
            Thread cleanup = new Thread(veil::close, "soak-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            log("starting Veil");
            veil.startOrMark(env);
            if (!veil.available()) {
                throw new IllegalStateException("Veil did not start: " + veil.unavailableReason());
            }
            check(veil, faultLog);
            // Warm the JIT up on the steady route alone (its own breaker): a cold gateway on a busy core answers its
            // first requests slower than the soak's 2-second upstream timeout, and that is not what the soak asks.
            log("warming up: " + WARM_SECONDS + " s of whole requests and streams to the steady fake");
            Dest warmDest = veil.dest(Target.Up.FAKE);
            LoadGen.Closed warmWhole = load.closedLoop(warmDest, Harness.chatBody(CHECK_MODEL, false), 8, 0,
                    TimeUnit.SECONDS.toNanos(WARM_SECONDS / 2));
            LoadGen.Closed warmStreams = load.closedLoop(warmDest, Harness.chatBody(CHECK_MODEL, true), 8, 0,
                    TimeUnit.SECONDS.toNanos(WARM_SECONDS / 2));
            meta.put("Warm-up", String.format(Locale.ROOT, "%d s on the steady route alone, not counted: %,d whole "
                    + "requests and %,d streams answered", WARM_SECONDS, warmWhole.ok(), warmStreams.ok()));
            Thread.sleep(2000);
            ProcessProbe probe = new ProcessProbe(veil.pid(), 1000);
            ProcessProbe.Sample idle = probe.sample();
            log(String.format(Locale.ROOT, "Veil idle: %.0f MiB, %d descriptors; load for %d s at %d req/s, faults on "
                            + "%d %% of flaky's answers (%s), hostile clients: %s", idle.rssMb(), idle.fds(),
                    opt.durationSeconds(), opt.rate(), plan.percent(), String.join(", ", plan.ids()), hostileIds()));
            HostileClients hostile = new HostileClients("127.0.0.1", veilPort(veil), veil.apiKey(), LONG_MODEL,
                    opt.hostile(), opt.hostilePerSecond(), opt.hostileMax());
            LoadGen.SoakLoad result;
            Map<HostileClients.Kind, HostileClients.Tally> tallies;
            try {
                hostile.start();
                LoadGen.SoakSpec spec = new LoadGen.SoakSpec(veil.dest(Target.Up.FAKE), Harness.chatBody(MODEL, false),
                        Harness.chatBody(MODEL, true), opt.streamPercent(), MODE.chunks(), opt.rate(),
                        TimeUnit.SECONDS.toNanos(opt.durationSeconds()), CLIENT_IDLE_MS,
                        TimeUnit.MILLISECONDS.toNanos(CLIENT_IDLE_MS + 10_000), 4096);
                result = load.soak(spec, faultLog::take, () -> !probe.alive(), line -> {
                    ProcessProbe.Sample s = probe.sample();
                    log(line + String.format(Locale.ROOT, "; Veil %.0f MiB, %d descriptors", s.rssMb(), s.fds()));
                });
                tallies = hostile.stop();
            } finally {
                hostile.close();
            }
            probe.close();
            List<ProcessProbe.Sample> samples = probe.samples();
            String exit = null;
            ProcessProbe.Sample after = null;
            if (!probe.alive()) {
                exit = exitDescription(veil, probe.goneAtSeconds());
                log("Veil is gone: " + exit);
            } else {
                log("load over; resting " + REST_SECONDS + " s for the after figures");
                Thread.sleep(TimeUnit.SECONDS.toMillis(REST_SECONDS));
                after = probe.alive() ? probe.sample() : null;
                if (after == null) {
                    exit = exitDescription(veil, Double.NaN);
                }
            }
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
            meta.put("finished", ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern(
                    "yyyy-MM-dd HH:mm 'UTC'")) + (opt.durationSeconds() < 120 ? " (short: a smoke check)" : ""));
            meta.put("Command", "`" + opt.command() + "` — " + String.format(Locale.ROOT, "%d min %02d s",
                    seconds / 60, seconds % 60));
            meta.put("Machine", Harness.machine(opt.root()));
            meta.put("Veil", veil.version() + (opt.pin() ? ", pinned to CPU " + opt.gatewayCpu() + "; the clients and the "
                    + "fakes on CPU " + opt.loadCpu() : ", not pinned"));
            meta.put("Routes", "model `" + MODEL + "` has three routes, tried in weighted random order with up to 3 "
                    + "attempts (`routing.max_attempts`): `flaky` (weight 3, the faulty fake), `down` (weight 1, a port "
                    + "nobody listens on: connection refused) and `steady` (weight 2, a fake that always answers), so "
                    + "every request has a healthy route; upstream `idle_timeout_ms` " + UPSTREAM_IDLE_MS
                    + ", `connect_timeout_ms` 1000; the fakes answer a whole request after 20 ms and stream 10 chunks, "
                    + "the first after 20 ms, 5 ms apart");
            meta.put("Load", String.format(Locale.ROOT, "open loop, %d requests a second for %d s, %d %% of them "
                    + "streams; latency counts from each request's intended send time; a client gives up after %d s "
                    + "without a byte", opt.rate(), opt.durationSeconds(), opt.streamPercent(), CLIENT_IDLE_MS / 1000));
            meta.put("Faults", plan.percent() == 0 ? "none" : plan.percent() + " % of `flaky`'s answers: "
                    + injectedText(flaky.injected()) + " (a slow first byte waits " + plan.slowMillis() / 1000
                    + " s; a stall lasts until the gateway gives up; a never-ending body stops at "
                    + (FaultPlan.ENDLESS_CAP_BYTES >> 20) + " MiB)");
            meta.put("Hostile clients", opt.hostile().isEmpty() ? "none" : hostileIds() + ": each kind opens "
                    + opt.hostilePerSecond() + " connections a second while fewer than " + opt.hostileMax()
                    + " of its own are open (no-read: " + Math.max(1, opt.hostileMax() / 10) + ")");
            meta.put("Noise", noiseStart + "; " + Harness.noiseText("end"));
            meta.put("Warm-up", meta.remove("Warm-up")); // after the set-up lines
            Map<String, HostileClients.Tally> hostileById = new LinkedHashMap<>();
            tallies.forEach((k, t) -> hostileById.put(k.id(), t));
            SoakReport.Figures figures = new SoakReport.Figures(meta, SoakReport.Load.of(result), samples, idle, after,
                    exit, hostileById, REST_SECONDS);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // already shutting down
            }
            write(figures);
            log("done in " + meta.get("Command"));
            return figures;
        }
    }

    /** Veil's configuration for the soak: the three routes, short upstream timeouts, the soak id forwarded. */
    static String config(int port, Path data, String flakyUrl, String steadyUrl, int downPort) {
        String policy = "policy: {trains: false, retention_days: 0, zdr: true}";
        String mode = MODE.modelName();
        String upstream = ", connect_timeout_ms: 1000, idle_timeout_ms: " + UPSTREAM_IDLE_MS + ", max_connections: 512}\n";
        return "server: {host: 127.0.0.1, port: " + port + ", forward_headers: [" + FaultLog.HEADER + "]}\n"
                + "store: {data_dir: \"" + data + "\"}\n"
                + "routing: {max_attempts: 3, backoff_ms: 20}\n"
                + "upstreams:\n"
                + "  - {name: flaky, base_url: \"" + flakyUrl + "\"" + upstream
                + "  - {name: steady, base_url: \"" + steadyUrl + "\"" + upstream
                + "  - {name: down, base_url: \"http://127.0.0.1:" + downPort + "/v1\"" + upstream
                + "models:\n"
                + "  - id: " + MODEL + "\n"
                + "    routes:\n"
                + "      - {name: flaky, upstream: flaky, model: " + mode + ", weight: 3, " + policy + "}\n"
                + "      - {name: down, upstream: down, model: " + mode + ", weight: 1, " + policy + "}\n"
                + "      - {name: steady, upstream: steady, model: " + mode + ", weight: 2, " + policy + "}\n"
                + "  - id: " + CHECK_MODEL + "\n"
                + "    routes:\n"
                + "      - {upstream: steady, model: " + mode + ", " + policy + "}\n"
                + "  - id: " + LONG_MODEL + "\n"
                + "    routes:\n"
                + "      - {upstream: steady, model: " + LONG_MODE.modelName() + ", " + policy + "}\n";
    }

    /**
     * One request through Veil to the steady fake: it answers, and the soak id reaches the upstream. Up to five tries:
     * a cold JVM on a busy machine can take longer than the soak's 2-second upstream timeout for its first request.
     */
    private static void check(VeilTarget veil, FaultLog faultLog) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(veil.origin() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(10)).header("authorization", "Bearer " + veil.apiKey())
                .header("content-type", "application/json").header(FaultLog.HEADER, "check")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Harness.chatBody(CHECK_MODEL, false))).build();
        SoakOutcome.Verdict v = null;
        for (int attempt = 0; attempt < 5 && (v == null || v.kind() != SoakOutcome.Kind.OK); attempt++) {
            if (attempt > 0) {
                log("check request failed (" + v.reason() + "); trying again");
                Thread.sleep(2000);
            }
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            v = SoakOutcome.whole(null, response.statusCode(), response.body(), false, Fault.NONE);
        }
        if (v.kind() != SoakOutcome.Kind.OK) {
            throw new IllegalStateException("Veil's check request failed five times: " + v.reason());
        }
        if (faultLog.take("check") == null) {
            throw new IllegalStateException("the " + FaultLog.HEADER + " header did not reach the upstream: is it in "
                    + "server.forward_headers?");
        }
    }

    private static int veilPort(VeilTarget veil) {
        return URI.create(veil.origin()).getPort();
    }

    private String hostileIds() {
        List<String> ids = new ArrayList<>();
        opt.hostile().forEach(k -> ids.add(k.id()));
        return ids.isEmpty() ? "none" : String.join(", ", ids);
    }

    private static String injectedText(Map<Fault, Long> injected) {
        long total = 0;
        for (long n : injected.values()) {
            total += n;
        }
        StringBuilder b = new StringBuilder();
        for (Map.Entry<Fault, Long> e : injected.entrySet()) {
            if (e.getKey() != Fault.NONE && e.getValue() > 0) {
                b.append(b.isEmpty() ? "" : ", ").append(e.getKey().id()).append(' ')
                        .append(String.format(Locale.ROOT, "%,d", e.getValue()));
            }
        }
        return String.format(Locale.ROOT, "%s of %,d answers", b.isEmpty() ? "none injected" : b, total);
    }

    private static final Pattern THROWABLE = Pattern.compile("\\b((?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Error|Exception))\\b");

    /** When and how Veil exited: the exit code and the first error class its log names (never the log's text). */
    static String exitDescription(VeilTarget veil, double goneAtSeconds) {
        Integer code = null;
        try {
            if (veil.process != null && veil.process.waitFor(5, TimeUnit.SECONDS)) {
                code = veil.process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String error = null;
        try {
            if (veil.log != null && Files.exists(veil.log)) {
                Matcher m = THROWABLE.matcher(Files.readString(veil.log));
                while (m.find()) {
                    error = m.group(1);
                    if (error.endsWith("Error")) {
                        break;
                    }
                }
            }
        } catch (java.io.IOException e) {
            // no log
        }
        return (Double.isNaN(goneAtSeconds) ? "exited" : String.format(Locale.ROOT, "exited %.0f s into the load",
                goneAtSeconds)) + (code == null ? "" : " with code " + code) + (error == null ? "" : " (its log names "
                + error + ")");
    }

    private void write(SoakReport.Figures f) throws Exception {
        Files.createDirectories(opt.resultsDir());
        String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path json = opt.resultsDir().resolve("soak-" + stamp + ".json");
        Map<String, Object> raw = new LinkedHashMap<>();
        raw.put("meta", f.meta());
        raw.put("load", f.load());
        raw.put("veil_exit", f.veilExit());
        raw.put("idle", f.idle());
        raw.put("after", f.after());
        raw.put("hostile", f.hostile());
        raw.put("samples", f.samples());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(),
                Harness.sanitize(new ObjectMapper().convertValue(raw, LinkedHashMap.class)));
        String section = SoakReport.markdown(f) + "\nRaw figures: `" + relative(json) + "` (git-ignored).\n";
        if (opt.writeDoc()) {
            Report.replaceSection(opt.doc(), SoakReport.BEGIN, SoakReport.END, section);
            log("wrote " + json + " and the Soak section of " + opt.doc());
        } else {
            log("wrote " + json + " (the doc is left as it is)");
        }
        System.out.println();
        System.out.println(section);
    }

    private String relative(Path p) {
        try {
            return opt.root().toAbsolutePath().relativize(p.toAbsolutePath()).toString();
        } catch (IllegalArgumentException e) {
            return p.toString();
        }
    }
}
