package dev.veil.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One path under test: straight to the fake, or through a proxy process (nginx, Portkey, Veil) that the harness
 * starts pinned to the gateway's core and stops at the end. A target that cannot be installed or started stays in the
 * table as "n/a (reason)".
 */
public abstract class Target implements AutoCloseable {

    /**
     * The upstreams every target can reach: the fake on the load generator's core (most cells), the same fake on the
     * gateway's core (the one-connection latency cell, so that the direct path crosses cores as often as a proxied
     * one), and an nginx {@code return 200} mock on the load generator's core (maximum throughput: cheap enough that it
     * is never the limit). Each is chosen by the request's model prefix, the port, or Portkey's custom-host header.
     */
    public enum Up {
        FAKE("fake"), FAKE_B("fakeb"), MOCK("mock");

        public final String prefix;

        Up(String prefix) {
            this.prefix = prefix;
        }

        /** The model name a request to this upstream carries. */
        public String model(FakeMode mode) {
            return mode.modelName(prefix);
        }
    }

    /** How to start the peers: the work folder, the cores, the upstreams' ports. */
    public record Env(Path work, int gatewayCpu, int loadCpu, boolean pin, Map<Up, Integer> ports) {
        public String baseUrl(Up up) {
            return "http://127.0.0.1:" + ports.get(up) + "/v1";
        }
    }

    private final String name;
    private final String label;
    protected Process process;
    protected Path log;
    private String unavailable;
    private String version = "";

    protected Target(String name, String label) {
        this.name = name;
        this.label = label;
    }

    /** Short id used in results: direct, nginx, portkey, veil. */
    public String name() {
        return name;
    }

    /** Column header. */
    public String label() {
        return label;
    }

    /** Starts the target; on failure it is marked unavailable with the reason instead of throwing. */
    public final void startOrMark(Env env) {
        try {
            start(env);
        } catch (Exception e) {
            markUnavailable(e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            close();
        }
    }

    protected abstract void start(Env env) throws Exception;

    /** Where chat completions for {@code up} go. */
    public abstract Dest dest(Up up);

    public boolean available() {
        return unavailable == null;
    }

    public String unavailableReason() {
        return unavailable;
    }

    public void markUnavailable(String reason) {
        if (unavailable == null) {
            unavailable = reason;
        }
    }

    public String version() {
        return version;
    }

    protected void version(String v) {
        this.version = v;
    }

    /** The process id of the proxy, or -1 when there is none (direct). */
    public long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** Resident memory of the proxy and its child processes in MiB (VmRSS), or NaN. */
    public double rssMb() {
        long pid = pid();
        if (pid < 0) {
            return Double.NaN;
        }
        long kb = rssKb(pid);
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            for (ProcessHandle child : handle.get().descendants().toList()) {
                kb += rssKb(child.pid());
            }
        }
        return kb / 1024.0;
    }

    static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /** {@code taskset -c <gateway cpu>} in front of a command when pinning. */
    protected static List<String> pinned(Env env, List<String> command) {
        return pinned(env, env.gatewayCpu(), command);
    }

    /** {@code taskset -c <cpu>} in front of a command when pinning. */
    static List<String> pinned(Env env, int cpu, List<String> command) {
        List<String> full = new ArrayList<>();
        if (env.pin()) {
            full.add("taskset");
            full.add("-c");
            full.add(Integer.toString(cpu));
        }
        full.addAll(command);
        return full;
    }

    protected Process launch(List<String> command, Map<String, String> extraEnv, Path logFile) throws IOException {
        this.log = logFile;
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(logFile.toFile());
        b.environment().putAll(extraEnv);
        process = b.start();
        return process;
    }

    /** Waits until {@code port} accepts connections, failing with the log's tail if the process dies first. */
    protected void awaitPort(int port, long timeoutMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (process != null && !process.isAlive()) {
                throw new IllegalStateException(label + " exited with " + process.exitValue() + ": " + logTail());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException(label + " did not listen on port " + port + " within " + timeoutMs + " ms: " + logTail());
    }

    protected String logTail() {
        if (log == null || !Files.exists(log)) {
            return "(no output)";
        }
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(output unreadable)";
        }
    }

    /** The nginx binary: Debian's, or the one on the PATH. */
    static String nginxBinary() {
        return Files.isExecutable(Path.of("/usr/sbin/nginx")) ? "/usr/sbin/nginx" : "nginx";
    }

    /**
     * Writes {@code dir/nginx.conf} for one pinned worker in the foreground, logs and temp folders inside {@code dir},
     * long keep-alive, and the given {@code server}/{@code upstream} blocks inside {@code http}; returns the command
     * that runs it.
     */
    static List<String> nginxCommand(String binary, Path dir, String httpBlocks) throws IOException {
        for (String t : List.of("body", "proxy", "fastcgi", "uwsgi", "scgi")) {
            Files.createDirectories(dir.resolve("tmp").resolve(t)).toFile().setWritable(true, false);
        }
        String conf = """
                worker_processes 1;
                worker_rlimit_nofile 30000;
                daemon off;
                master_process on;
                pid %1$s/nginx.pid;
                error_log %1$s/error.log warn;
                events { worker_connections 15000; }
                http {
                  access_log off;
                  keepalive_requests 1000000;
                  keepalive_timeout 300s;
                  client_body_temp_path %1$s/tmp/body;
                  proxy_temp_path %1$s/tmp/proxy;
                  fastcgi_temp_path %1$s/tmp/fastcgi;
                  uwsgi_temp_path %1$s/tmp/uwsgi;
                  scgi_temp_path %1$s/tmp/scgi;
                %2$s}
                """.formatted(dir, httpBlocks);
        Path confFile = Files.writeString(dir.resolve("nginx.conf"), conf);
        return List.of(binary, "-e", dir.resolve("error.log").toString(), "-p", dir.toString(), "-c",
                confFile.toString());
    }

    /**
     * An nginx {@code http} block that listens on {@code listen} and proxies every request, unbuffered over kept-alive
     * HTTP/1.1 connections, to the upstream {@code name} made of {@code servers} ({@code server host:port; ...}).
     */
    static String nginxProxy(String name, String servers, int listen) {
        return """
                  upstream %1$s { %2$skeepalive 256; keepalive_requests 1000000; }
                  server {
                    listen 127.0.0.1:%3$d backlog=8192;
                    location / {
                      proxy_pass http://%1$s;
                      proxy_http_version 1.1;
                      proxy_set_header Connection "";
                      proxy_buffering off;
                      proxy_read_timeout 120s;
                    }
                  }
                """.formatted(name, servers, listen);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }

    /** Runs a short command and returns its output (first line), or "" when it fails. */
    static String firstLine(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor(10, TimeUnit.SECONDS);
            int nl = out.indexOf('\n');
            return nl < 0 ? out : out.substring(0, nl);
        } catch (Exception e) {
            return "";
        }
    }

    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            children.forEach(c -> {
                if (c.isAlive()) {
                    c.destroy();
                }
            });
        }
    }

    /** Straight to the fake upstream: the baseline every "added" figure subtracts. */
    public static final class Direct extends Target {
        private Env env;

        public Direct() {
            super("direct", "direct (fake)");
        }

        @Override
        protected void start(Env env) {
            this.env = env;
        }

        @Override
        public Dest dest(Up up) {
            return new Dest(name(), "127.0.0.1", env.ports().get(up), "/v1/chat/completions", Map.of());
        }
    }

    /** nginx from Debian as a plain reverse proxy: the floor. One worker, keep-alive upstream, no buffering. */
    public static final class Nginx extends Target {
        private Map<Up, Integer> ports;

        public Nginx() {
            super("nginx", "nginx");
        }

        @Override
        protected void start(Env env) throws Exception {
            String binary = nginxBinary();
            String v = firstLine(List.of(binary, "-v"));
            if (v.isEmpty()) {
                throw new IllegalStateException("nginx is not installed (bench/run installs it with apt-get)");
            }
            version(v.replace("nginx version: ", ""));
            Path dir = Files.createDirectories(env.work().resolve("nginx"));
            Map<Up, Integer> ports = new java.util.EnumMap<>(Up.class);
            StringBuilder servers = new StringBuilder();
            for (Up up : Up.values()) {
                int port = freePort();
                ports.put(up, port);
                servers.append(nginxProxy(up.prefix, "server 127.0.0.1:" + env.ports().get(up) + "; ", port));
            }
            launch(pinned(env, nginxCommand(binary, dir, servers.toString())), Map.of(), dir.resolve("stdout.log"));
            for (int port : ports.values()) {
                awaitPort(port, 15_000);
            }
            this.ports = ports;
        }

        @Override
        public Dest dest(Up up) {
            return new Dest(name(), "127.0.0.1", ports.get(up), "/v1/chat/completions", Map.of());
        }
    }

    /**
     * The Portkey gateway 1.15.2 from npm, installed by bench/run into bench/.peers/portkey with the streaming fix of
     * the research note; the OpenAI provider pointed at the fake with {@code x-portkey-custom-host}.
     */
    public static final class Portkey extends Target {
        private final Path installDir;
        private int port;
        private Env env;

        public Portkey(Path installDir) {
            super("portkey", "Portkey");
            this.installDir = installDir;
        }

        @Override
        protected void start(Env env) throws Exception {
            if (installDir == null) {
                throw new IllegalStateException("no install folder given (bench/run passes --portkey-dir)");
            }
            Path pkg = installDir.resolve("node_modules/@portkey-ai/gateway");
            Path server = pkg.resolve("build/start-server.js");
            if (!Files.exists(server)) {
                throw new IllegalStateException("not installed in " + installDir + " (bench/run installs it with npm)");
            }
            String pkgJson = Files.readString(pkg.resolve("package.json"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(pkgJson);
            String v = m.find() ? m.group(1) : "?";
            String patched = Files.readString(server).contains("new Response(p,{status:e.status") ? "streaming fix applied"
                    : "streaming fix NOT applied";
            version(v + ", node " + firstLine(List.of("node", "--version")) + ", " + patched);
            int port = freePort();
            launch(pinned(env, List.of("node", server.toString(), "--port=" + port, "--headless")), Map.of(),
                    env.work().resolve("portkey.log"));
            awaitPort(port, 30_000);
            this.port = port;
            this.env = env;
        }

        @Override
        public Dest dest(Up up) {
            return new Dest(name(), "127.0.0.1", port, "/v1/chat/completions", Map.of(
                    "authorization", "Bearer sk-fake",
                    "x-portkey-provider", "openai",
                    "x-portkey-custom-host", env.baseUrl(up)));
        }
    }
}
