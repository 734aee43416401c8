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

    /**
     * The limits of the key the shared-state cell uses: high enough never to refuse a request of the run, set so that
     * every request is counted (in memory for one instance, in Redis when several share it); a key without limits
     * never asks Redis.
     */
    static final List<String> HIGH_LIMITS = List.of("--rpm", "1000000000", "--tpm", "2000000000",
            "--max-concurrent", "100000");

    private final Path jar;
    private final List<String> jvmFlags;
    private final ConfigWriter config;
    private final boolean limitedKey;
    private String apiKey;
    private String limitedApiKey;
    private int port;

    /**
     * @param jar        the shaded veil-app jar
     * @param jvmFlags   JVM flags for the gateway, e.g. {@code -Xmx128m}
     * @param fakeModels model names to route; each goes to the upstream its prefix names ({@link Up#prefix})
     * @param nodePort   the port of the Veil node serving {@link #E2EE_MODEL}, or 0 for none
     */
    public VeilTarget(Path jar, List<String> jvmFlags, List<String> fakeModels, int nodePort) {
        this(jar, jvmFlags, fakeModels, nodePort, false);
    }

    /**
     * @param limitedKey also create a key with {@link #HIGH_LIMITS} ({@link #limitedDest}), for the shared-state cell
     */
    public VeilTarget(Path jar, List<String> jvmFlags, List<String> fakeModels, int nodePort, boolean limitedKey) {
        this("veil", "Veil", jar, jvmFlags, benchConfig(List.copyOf(fakeModels), nodePort, "", ""), limitedKey);
    }

    /** Veil with the configuration {@code config} writes (the soak run's routes and timeouts, say). */
    public VeilTarget(Path jar, List<String> jvmFlags, ConfigWriter config) {
        this("veil", "Veil", jar, jvmFlags, config, false);
    }

    /**
     * @param name       the target's id, also the name of its folder in the run's work folder
     * @param label      how the run's log names it
     * @param config     writes its configuration
     * @param limitedKey also create a key with {@link #HIGH_LIMITS}
     */
    VeilTarget(String name, String label, Path jar, List<String> jvmFlags, ConfigWriter config, boolean limitedKey) {
        super(name, label);
        this.jar = jar;
        this.jvmFlags = List.copyOf(jvmFlags);
        this.config = config;
        this.limitedKey = limitedKey;
    }

    /**
     * The side-by-side run's configuration: each fake model routed to its upstream, the e2ee model to the node.
     *
     * @param storeFields more fields of the {@code store} mapping, e.g. {@code , jdbc_url: "..."}, or ""
     * @param sections    more top-level sections, e.g. {@code redis: {url: ...}}, or ""
     */
    static ConfigWriter benchConfig(List<String> fakeModels, int nodePort, String storeFields, String sections) {
        return (env, port, data) -> {
            StringBuilder yaml = new StringBuilder();
            yaml.append("server: {host: 127.0.0.1, port: ").append(port).append("}\n");
            yaml.append("store: {data_dir: \"").append(data).append('"').append(storeFields).append("}\n");
            yaml.append(sections);
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
        Path dir = Files.createDirectories(env.work().resolve(name()));
        Path data = Files.createDirectories(dir.resolve("data"));
        port = freePort();
        Path config = Files.writeString(dir.resolve("veil.yaml"), this.config.yaml(env, port, data));

        // Through the configuration, so that the key lands in whichever store it names (SQLite or PostgreSQL).
        apiKey = createKey(java, config, "bench", List.of());
        if (limitedKey) {
            limitedApiKey = createKey(java, config, "bench-limited", HIGH_LIMITS);
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

    /** Runs {@code veil keys create} on the store of {@code config} and returns the key it printed. */
    private String createKey(String java, Path config, String keyName, List<String> options) throws Exception {
        List<String> command = new ArrayList<>(List.of(java, "-jar", jar.toString(), "keys", "create", "--name", keyName));
        command.addAll(options);
        command.addAll(List.of("--config", config.toString()));
        Process keys = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(keys.getInputStream().readAllBytes());
        if (!keys.waitFor(60, TimeUnit.SECONDS)) {
            keys.destroyForcibly();
        }
        for (String line : out.split("\n")) {
            if (line.startsWith("VEIL_API_KEY=")) {
                return line.substring("VEIL_API_KEY=".length()).trim();
            }
        }
        throw new IllegalStateException("veil keys create printed no VEIL_API_KEY line: "
                + out.substring(0, Math.min(300, out.length())));
    }

    @Override
    public Dest dest(Up up) {
        return new Dest(name(), "127.0.0.1", port, "/v1/chat/completions", Map.of("authorization", "Bearer " + apiKey));
    }

    /** Like {@link #dest}, with the key that has {@link #HIGH_LIMITS} (only when the target was made with one). */
    public Dest limitedDest(Up up) {
        if (limitedApiKey == null) {
            throw new IllegalStateException("this Veil target was started without the limited key");
        }
        return new Dest(name(), "127.0.0.1", port, "/v1/chat/completions",
                Map.of("authorization", "Bearer " + limitedApiKey));
    }

    /** The port {@code veil serve} listens on. */
    public int port() {
        return port;
    }

    /** The key that has {@link #HIGH_LIMITS}, or null. */
    String limitedApiKey() {
        return limitedApiKey;
    }

    public String apiKey() {
        return apiKey;
    }

    /** The origin the e2ee SDK talks to, e.g. {@code http://127.0.0.1:8080}. */
    public String origin() {
        return "http://127.0.0.1:" + port;
    }
}
