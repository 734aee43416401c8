package dev.veil.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shared-state deployment of the {@code shared} cell, as docs/deployment.md describes it, on this machine: two
 * {@code veil serve} processes with one configuration (a PostgreSQL store, {@code redis.url} for the shared limits),
 * behind an nginx {@code upstream} block (round robin, keep-alive). All of it (nginx, both instances, PostgreSQL,
 * embedded as the tests start it, and Valkey or Redis) is pinned to the gateway's core, where the one-instance Veil
 * runs alone: the comparison is one core for each deployment, and the load generator's core, saturated by wrk in the
 * throughput cell, starves none of the shared services.
 *
 * <p>The same nginx also has a listener in front of the one-instance Veil, so that the run can tell the load
 * balancer's hop from the cost of the shared state. Everything listens on 127.0.0.1 and lives in the run's work
 * folder; {@link #close} stops every process it started, also when starting failed half-way.
 */
final class SharedVeil implements AutoCloseable {

    /** {@code redis.timeout_ms} of the instances. */
    static final int REDIS_TIMEOUT_MS = 1000;

    private final List<AutoCloseable> started = new ArrayList<>();
    private EmbeddedPostgres postgres;
    private Path postgresData;
    private KeyValueServer kv;
    private final List<VeilTarget> instances = new ArrayList<>();
    private Balancer balancer;
    private String postgresVersion = "?";

    private SharedVeil() {
    }

    /**
     * Starts PostgreSQL, the counter server, two Veil instances on them and nginx in front of them and of
     * {@code single}.
     *
     * @param models the model names each instance routes to the fakes (as the one-instance Veil does)
     * @throws Exception naming the part that did not start; what did start is stopped again
     */
    static SharedVeil start(Target.Env env, Path jar, List<String> jvmFlags, List<String> models, VeilTarget single)
            throws Exception {
        SharedVeil shared = new SharedVeil();
        try {
            shared.startAll(env, jar, jvmFlags, models, single);
            return shared;
        } catch (Exception | Error e) {
            shared.close();
            throw e;
        }
    }

    private void startAll(Target.Env env, Path jar, List<String> jvmFlags, List<String> models, VeilTarget single)
            throws Exception {
        Path dir = Files.createDirectories(env.work().resolve("shared"));
        Path pgLog = dir.resolve("postgres.log");
        postgresData = dir.resolve("postgres");
        // fsync and synchronous_commit as a PostgreSQL server has them by default: the embedded one turns both off
        // for tests, which would make the shared store look cheaper than an operator's.
        postgres = EmbeddedPostgres.builder()
                .setDataDirectory(postgresData)
                .setCleanDataDirectory(true)
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setPGStartupWait(Duration.ofSeconds(60))
                .setOutputRedirector(ProcessBuilder.Redirect.appendTo(pgLog.toFile()))
                .setErrorRedirector(ProcessBuilder.Redirect.appendTo(pgLog.toFile()))
                .start();
        started.add(postgres);
        if (env.pin()) {
            pinPostgres(env.gatewayCpu());
        }
        postgresVersion = query("SHOW server_version") + " (embedded, fsync " + query("SHOW fsync")
                + ", synchronous_commit " + query("SHOW synchronous_commit") + ")";
        String jdbcUrl = "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres?user=postgres";

        kv = new KeyValueServer();
        started.add(kv);
        kv.startOrMark(env);
        if (!kv.available()) {
            throw new IllegalStateException(kv.unavailableReason());
        }

        // A Redis call may take 1 s here rather than the default 250 ms: on a two-core machine a starved core must
        // show as latency in the figures, not as requests refused with 503 (fail_closed).
        VeilTarget.ConfigWriter config = VeilTarget.benchConfig(models, 0, ", jdbc_url: \"" + jdbcUrl + "\"",
                "redis: {url: \"" + kv.url() + "\", timeout_ms: " + REDIS_TIMEOUT_MS + "}\n");
        // One after the other: the first one's key command migrates the database, as `veil migrate` would.
        for (String id : List.of("a", "b")) {
            VeilTarget instance = new VeilTarget("shared-" + id, "Veil instance " + id, jar, jvmFlags, config, true);
            instances.add(instance);
            started.add(instance);
            instance.startOrMark(env);
            if (!instance.available()) {
                throw new IllegalStateException("Veil instance " + id + ": " + instance.unavailableReason());
            }
        }

        balancer = new Balancer(List.of(instances.get(0).port(), instances.get(1).port()), single.port());
        started.add(balancer);
        balancer.startOrMark(env);
        if (!balancer.available()) {
            throw new IllegalStateException("nginx in front of the instances: " + balancer.unavailableReason());
        }
    }

    /**
     * Moves PostgreSQL to {@code cpu}: {@code pg_ctl} starts it from this JVM, which runs on the load generator's core.
     * Its processes are pinned one by one (every thread); backends forked later inherit the postmaster's affinity.
     */
    private void pinPostgres(int cpu) {
        long pid = postmasterPid();
        if (pid <= 0) {
            throw new IllegalStateException("PostgreSQL's postmaster.pid is unreadable: cannot pin it to CPU " + cpu);
        }
        List<Long> pids = new ArrayList<>(List.of(pid));
        ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(d -> pids.add(d.pid())));
        for (long p : pids) {
            Target.firstLine(List.of("taskset", "-a", "-p", "-c", Integer.toString(cpu), Long.toString(p)));
        }
    }

    private String query(String sql) {
        try (Connection c = postgres.getPostgresDatabase().getConnection();
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery(sql)) {
            return r.next() ? r.getString(1) : "?";
        } catch (Exception e) {
            return "? (" + e.getMessage() + ")";
        }
    }

    /** Rows in PostgreSQL's request log: every request of the limited key through either instance writes one. */
    long requestLogRows() {
        String n = query("SELECT count(*) FROM request_log");
        try {
            return Long.parseLong(n);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Two instances on one PostgreSQL and one counter server, through nginx; the key with high limits. */
    Dest shared() {
        return balancer.dest("shared", balancer.sharedPort, instances.get(0).limitedApiKey());
    }

    /** The one-instance Veil through the same nginx; its key with the same limits. */
    Dest singleBehindBalancer(VeilTarget single) {
        return balancer.dest("veil-lb", balancer.singlePort, single.limitedApiKey());
    }

    KeyValueServer kv() {
        return kv;
    }

    /** E.g. {@code 16.4 (embedded, fsync on, synchronous_commit on)}. */
    String postgresVersion() {
        return postgresVersion;
    }

    String nginxVersion() {
        return balancer == null ? "?" : balancer.version();
    }

    /** Resident memory of both instances in MiB. */
    double instancesRssMb() {
        return instances.stream().mapToDouble(Target::rssMb).sum();
    }

    /**
     * The CPU ticks PostgreSQL used so far: its postmaster is started by {@code pg_ctl} and so is no descendant of the
     * harness, whose noise figure would otherwise count it as another process's work. 0 when it is a descendant
     * (counted already) or gone.
     */
    long postgresTicksOutsideHarness() {
        long pid = postmasterPid();
        if (pid <= 0 || ProcessHandle.current().descendants().anyMatch(p -> p.pid() == pid)) {
            return 0;
        }
        return CpuAccount.treeTicks(pid);
    }

    private long postmasterPid() {
        if (postgres == null) {
            return -1;
        }
        try {
            return Long.parseLong(Files.readAllLines(postgresData.resolve("postmaster.pid")).get(0).trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public synchronized void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                System.out.println("[bench] stopping " + started.get(i) + " failed: " + e);
            }
        }
        started.clear();
    }

    /** nginx with one worker: round robin over the two instances, and a second listener in front of the one. */
    static final class Balancer extends Target {
        private final List<Integer> instancePorts;
        private final int singleVeilPort;
        int sharedPort;
        int singlePort;

        Balancer(List<Integer> instancePorts, int singleVeilPort) {
            super("lb", "nginx load balancer");
            this.instancePorts = List.copyOf(instancePorts);
            this.singleVeilPort = singleVeilPort;
        }

        /** The {@code upstream} and {@code server} blocks: round robin (nginx's default), keep-alive to the instances. */
        static String blocks(List<Integer> instancePorts, int sharedPort, int singleVeilPort, int singlePort) {
            StringBuilder servers = new StringBuilder();
            for (int port : instancePorts) {
                servers.append("server 127.0.0.1:").append(port).append("; ");
            }
            return Target.nginxProxy("veil_shared", servers.toString(), sharedPort)
                    + Target.nginxProxy("veil_one", "server 127.0.0.1:" + singleVeilPort + "; ", singlePort);
        }

        @Override
        protected void start(Env env) throws Exception {
            String binary = nginxBinary();
            String v = firstLine(List.of(binary, "-v"));
            if (v.isEmpty()) {
                throw new IllegalStateException("nginx is not installed (bench/run installs it with apt-get)");
            }
            version(v.replace("nginx version: ", ""));
            Path dir = Files.createDirectories(env.work().resolve("shared").resolve("nginx"));
            sharedPort = freePort();
            singlePort = freePort();
            launch(pinned(env, nginxCommand(binary, dir, blocks(instancePorts, sharedPort, singleVeilPort, singlePort))),
                    Map.of(), dir.resolve("stdout.log"));
            awaitPort(sharedPort, 15_000);
            awaitPort(singlePort, 15_000);
        }

        Dest dest(String name, int port, String apiKey) {
            return new Dest(name, "127.0.0.1", port, "/v1/chat/completions", Map.of("authorization", "Bearer " + apiKey));
        }

        @Override
        public Dest dest(Up up) {
            throw new UnsupportedOperationException("use SharedVeil's destinations");
        }
    }
}
