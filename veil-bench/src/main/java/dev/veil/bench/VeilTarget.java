package dev.veil.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Veil as an operator runs it: the shaded jar, {@code veil serve --config}, its own JVM with the stated heap flags
 * (default {@code -Xmx128m}, nothing else tuned), pinned to the gateway's core, SQLite store in the run's folder, one
 * API key made with {@code veil keys create}. Every fake mode the harness uses is a model routed to the fake; the
 * e2ee model is routed to a Veil node ({@code node: true}) admitted by simulated attestation.
 */
public final class VeilTarget extends Target {

    /** The public model id the e2ee cell asks for; the node maps it to a streaming fake mode. */
    public static final String E2EE_MODEL = "e2ee-chat";

    /** Writes the gateway's veil.yaml for the run; the store and the port are the target's. */
    @FunctionalInterface
    public interface ConfigWriter {
        /**
         * @param env  the run's folder, cores and upstream ports
         * @param port the port Veil listens on
         * @param data the store's data folder
         * @return the whole configuration file
         */
        String yaml(Env env, int port, Path data);
    }

    private final Path jar;
    private final List<String> jvmFlags;
    private final ConfigWriter config;
    private String apiKey;
    private int port;

    /**
     * @param jar        the shaded veil-app jar
     * @param jvmFlags   JVM flags for the gateway, e.g. {@code -Xmx128m}
     * @param fakeModels model names to route; each goes to the upstream its prefix names ({@link Up#prefix})
     * @param nodePort   the port of the Veil node serving {@link #E2EE_MODEL}, or 0 for none
     */
    public VeilTarget(Path jar, List<String> jvmFlags, List<String> fakeModels, int nodePort) {
        this(jar, jvmFlags, benchConfig(List.copyOf(fakeModels), nodePort));
    }

    /** Veil with the configuration {@code config} writes (the soak run's routes and timeouts, say). */
    public VeilTarget(Path jar, List<String> jvmFlags, ConfigWriter config) {
        super("veil", "Veil");
        this.jar = jar;
        this.jvmFlags = List.copyOf(jvmFlags);
        this.config = config;
    }

    /** The side-by-side run's configuration: each fake model routed to its upstream, the e2ee model to the node. */
    private static ConfigWriter benchConfig(List<String> fakeModels, int nodePort) {
        return (env, port, data) -> {
            StringBuilder yaml = new StringBuilder();
            yaml.append("server: {host: 127.0.0.1, port: ").append(port).append("}\n");
            yaml.append("store: {data_dir: \"").append(data).append("\"}\n");
            yaml.append("attestation: {allowed_formats: [simulated], allow_simulated: true}\n");
            yaml.append("upstreams:\n");
            for (Up up : Up.values()) {
                yaml.append("  - {name: ").append(up.prefix).append(", base_url: \"").append(env.baseUrl(up))
                        .append("\", max_connections: 8000, idle_timeout_ms: 120000, apis: [chat, responses]}\n");
            }
            if (nodePort > 0) {
                yaml.append("  - {name: node, base_url: \"http://127.0.0.1:").append(nodePort).append("/v1\", node: true}\n");
            }
            yaml.append("models:\n");
            for (String model : fakeModels) {
                yaml.append("  - id: ").append(model).append('\n');
                yaml.append("    routes:\n");
                String upstream = model.substring(0, model.indexOf('-'));
                yaml.append("      - {upstream: ").append(upstream).append(", model: ").append(model)
                        .append(", policy: {trains: false, retention_days: 0, zdr: true}}\n");
            }
            if (nodePort > 0) {
                yaml.append("  - id: ").append(E2EE_MODEL).append('\n');
                yaml.append("    routes:\n");
                yaml.append("      - {name: node, upstream: node, policy: {trains: false, retention_days: 0, zdr: true, "
                        + "tee: simulated, e2ee: true}}\n");
            }
            return yaml.toString();
        };
    }

    @Override
    protected void start(Env env) throws Exception {
        if (jar == null || !Files.exists(jar)) {
            throw new IllegalStateException("the veil-app jar is missing (" + jar + "); bench/run builds it");
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path dir = Files.createDirectories(env.work().resolve("veil"));
        Path data = Files.createDirectories(dir.resolve("data"));
        port = freePort();
        Path config = Files.writeString(dir.resolve("veil.yaml"), this.config.yaml(env, port, data));

        Process keys = new ProcessBuilder(java, "-jar", jar.toString(), "keys", "create", "--name", "bench",
                "--data-dir", data.toString()).redirectErrorStream(true).start();
        String out = new String(keys.getInputStream().readAllBytes());
        keys.waitFor(60, TimeUnit.SECONDS);
        for (String line : out.split("\n")) {
            if (line.startsWith("VEIL_API_KEY=")) {
                apiKey = line.substring("VEIL_API_KEY=".length()).trim();
            }
        }
        if (apiKey == null) {
            throw new IllegalStateException("veil keys create printed no VEIL_API_KEY line: "
                    + out.substring(0, Math.min(300, out.length())));
        }

        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmFlags);
        command.addAll(List.of("-jar", jar.toString(), "serve", "--config", config.toString()));
        launch(pinned(env, command), Map.of(), dir.resolve("veil.log"));
        awaitPort(port, 60_000);
        // The port opens before the first node attestation round may be over; give it a moment.
        Thread.sleep(500);
        version(jar.getFileName() + ", JVM " + String.join(" ", jvmFlags) + " (" + System.getProperty("java.vm.name")
                + " " + System.getProperty("java.version") + ")");
    }

    @Override
    public Dest dest(Up up) {
        return new Dest(name(), "127.0.0.1", port, "/v1/chat/completions", Map.of("authorization", "Bearer " + apiKey));
    }

    public String apiKey() {
        return apiKey;
    }

    /** The origin the e2ee SDK talks to, e.g. {@code http://127.0.0.1:8080}. */
    public String origin() {
        return "http://127.0.0.1:" + port;
    }
}
