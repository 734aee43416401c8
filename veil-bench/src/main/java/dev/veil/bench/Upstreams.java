package dev.veil.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The upstreams of {@link Target.Up} other than the in-process fake: the same fake as its own JVM pinned to the
 * gateway's core, and nginx answering {@code return 200} with a fixed chat completion pinned to the load generator's
 * core. When nginx is missing the mock falls back to the in-process fake (and the table says so).
 */
final class Upstreams implements AutoCloseable {

    private final List<Target> processes = new ArrayList<>();
    private final Map<Target.Up, Integer> ports = new EnumMap<>(Target.Up.class);
    private final List<String> notes = new ArrayList<>();

    Map<Target.Up, Integer> ports() {
        return ports;
    }

    List<String> notes() {
        return notes;
    }

    /** Starts fake B and the mock; {@code fakePort} is the in-process fake's. */
    void start(Path work, int gatewayCpu, int loadCpu, boolean pin, int fakePort) {
        ports.put(Target.Up.FAKE, fakePort);
        Target.Env env = new Target.Env(work, gatewayCpu, loadCpu, pin, Map.of());
        FakeProcess b = new FakeProcess();
        b.startOrMark(env);
        if (b.available()) {
            processes.add(b);
            ports.put(Target.Up.FAKE_B, b.port);
        } else {
            ports.put(Target.Up.FAKE_B, fakePort);
            notes.add("the fake on the gateway's core did not start (" + b.unavailableReason()
                    + "); the c=1 cell used the fake on the load core");
        }
        NginxMock mock = new NginxMock();
        mock.startOrMark(env);
        if (mock.available()) {
            processes.add(mock);
            ports.put(Target.Up.MOCK, mock.port);
        } else {
            ports.put(Target.Up.MOCK, fakePort);
            notes.add("the nginx mock did not start (" + mock.unavailableReason()
                    + "); the max-throughput cell used the Java fake, which may then be the limit");
        }
    }

    @Override
    public void close() {
        processes.forEach(Target::close);
    }

    /** {@code java -jar veil-bench.jar fake} on the gateway's core. */
    static final class FakeProcess extends Target {
        int port;

        FakeProcess() {
            super("fake-b", "fake on the gateway core");
        }

        @Override
        protected void start(Env env) throws Exception {
            Path jar = Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            port = freePort();
            launch(pinned(env, env.gatewayCpu(), List.of(java, "-Xms256m", "-Xmx256m", "-cp", jar.toString(),
                    BenchMain.class.getName(), "fake", "--port", Integer.toString(port))), Map.of(),
                    env.work().resolve("fake-b.log"));
            awaitPort(port, 30_000);
        }

        @Override
        public Dest dest(Up up) {
            throw new UnsupportedOperationException();
        }
    }

    /** nginx answering every request with a fixed chat completion, as the research note's zero-latency mock. */
    static final class NginxMock extends Target {
        int port;

        NginxMock() {
            super("mock", "nginx mock");
        }

        @Override
        protected void start(Env env) throws Exception {
            String binary = nginxBinary();
            if (firstLine(List.of(binary, "-v")).isEmpty()) {
                throw new IllegalStateException("nginx is not installed");
            }
            Path dir = Files.createDirectories(env.work().resolve("nginx-mock"));
            port = freePort();
            String json = "{\"id\":\"chatcmpl-bench0000000000000000000000\",\"object\":\"chat.completion\","
                    + "\"created\":1700000000,\"model\":\"mock\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                    + "\"assistant\",\"content\":\"Hello! How can I help you today?\",\"refusal\":null},\"logprobs\":null,"
                    + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":9,"
                    + "\"total_tokens\":28},\"system_fingerprint\":\"fp_bench\"}";
            String server = """
                      server {
                        listen 127.0.0.1:%1$d backlog=8192;
                        location / { default_type application/json; return 200 '%2$s'; }
                      }
                    """.formatted(port, json);
            launch(pinned(env, env.loadCpu(), nginxCommand(binary, dir, server)), Map.of(), dir.resolve("stdout.log"));
            awaitPort(port, 15_000);
        }

        @Override
        public Dest dest(Up up) {
            throw new UnsupportedOperationException();
        }
    }
}
