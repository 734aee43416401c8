package dev.veil.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.client.transparency.HeadFile;
import dev.veil.client.transparency.LogClient;
import dev.veil.client.transparency.LogMonitor;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil log verify|watch <gateway> --log-key <key>}: anyone's audit of a gateway's transparency log
 * (docs/transparency.md). {@code verify} fetches every entry, recomputes the tree, checks the signed head and that
 * every head seen before (kept in a state file) is a head of the same tree; {@code watch} does the same and then
 * follows the log, printing each identity as it is appended and checking consistency at every step.
 */
@Command(name = "log", mixinStandardHelpOptions = true,
        description = "Audit (verify) or follow (watch) a gateway's transparency log (docs/transparency.md).",
        subcommands = {LogCommand.Verify.class, LogCommand.Watch.class})
final class LogCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: veil log verify <gateway> --log-key <base64> | veil log watch <gateway> --log-key "
                + "<base64> [--interval 10s] (see veil log --help)");
    }

    /** What both subcommands need: the gateway, the pinned log key, the API key and the state file. */
    static final class Target {
        @Parameters(index = "0", paramLabel = "<gateway>", description = "The gateway's URL, e.g. https://gateway.example.")
        String gateway;

        @Option(names = "--log-key", required = true, paramLabel = "<base64>",
                description = "The log's Ed25519 key (log_key of GET /v1/transparency/head), from a source you trust.")
        String logKey;

        @Option(names = "--api-key", paramLabel = "<key>",
                description = "A Veil API key for the gateway (default: the " + ProxyCommand.API_KEY_ENV
                        + " environment variable).")
        String apiKey;

        @Option(names = "--state-dir", paramLabel = "<dir>",
                description = "Where the heads seen before are kept (default: $" + ClientState.ENV + " or ~/.veil).")
        Path stateDir;

        @Option(names = "--timeout", defaultValue = "30", paramLabel = "<seconds>",
                description = "Limit for each answer of the gateway, head and body (default: ${DEFAULT-VALUE}).")
        int timeoutSeconds;

        @Option(names = "--max-entries", defaultValue = "1000000", paramLabel = "<n>",
                description = "The largest log to audit; its leaf hashes are held in memory (default: ${DEFAULT-VALUE}).")
        long maxEntries;

        /** The monitor these options describe; a usage problem is an {@link IllegalArgumentException}. */
        LogMonitor monitor(Map<String, String> env) {
            byte[] key;
            try {
                key = Base64.getDecoder().decode(logKey.trim());
            } catch (IllegalArgumentException e) {
                key = new byte[0];
            }
            if (key.length != 32) {
                throw new IllegalArgumentException("--log-key must be a 32-byte Ed25519 key in base64 (log_key of "
                        + "GET /v1/transparency/head).");
            }
            String origin = origin(gateway);
            if (timeoutSeconds < 1 || maxEntries < 1) {
                throw new IllegalArgumentException("--timeout and --max-entries must be positive.");
            }
            String api = apiKey != null && !apiKey.isBlank() ? apiKey.trim() : env.get(ProxyCommand.API_KEY_ENV);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
            LogClient client = new LogClient(origin, api == null || api.isBlank() ? null : api.trim(), http,
                    Duration.ofSeconds(timeoutSeconds));
            return new LogMonitor(client, key, new HeadFile(stateFile(env, key)), maxEntries);
        }

        /** {@code <state dir>/log-heads-<first 16 hex digits of the log key>.json}: one file per log. */
        Path stateFile(Map<String, String> env, byte[] key) {
            return ClientState.dir(stateDir, env).resolve("log-heads-" + HexFormat.of().formatHex(key, 0, 8) + ".json");
        }

        static String origin(String url) {
            return dev.veil.client.proxy.GatewayTarget.parse(url == null ? "" : url).origin();
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Fetch every entry, recompute the tree, check the signed head and every head seen before; "
                    + "exit 0 only when all passed.")
    static final class Verify implements Callable<Integer> {
        @Mixin
        Target target;

        @Override
        public Integer call() {
            return run(System.getenv(), System.out, System.err);
        }

        int run(Map<String, String> env, PrintStream out, PrintStream err) {
            LogMonitor monitor;
            try {
                monitor = target.monitor(env);
            } catch (IllegalArgumentException e) {
                err.println("veil: " + e.getMessage());
                return 2;
            }
            out.println("Transparency log of " + Target.origin(target.gateway));
            try {
                List<LogClient.Entry> entries = monitor.step((check, detail) -> out.println("[ ok ] " + check + ": "
                        + detail));
                long nodes = entries.stream().filter(e -> "node".equals(type(e))).count();
                out.println("       " + entries.size() + " entries: " + nodes + " node " + (nodes == 1 ? "identity" : "identities"));
                out.println("VERDICT: PASSED (head of " + monitor.head().treeSize() + " leaves kept in "
                        + target.stateFile(env, monitor.head().logKey()) + ")");
                return 0;
            } catch (LogMonitor.Failed e) {
                out.println("[FAIL] " + e.check() + ": " + e.getMessage());
                out.println("VERDICT: FAILED");
                return 1;
            } catch (IOException e) {
                out.println("[FAIL] gateway: " + unreachable(e));
                out.println("VERDICT: FAILED (could not audit)");
                return 1;
            }
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true,
            description = "Verify the log, then follow it: print each identity as it is appended, checking every new "
                    + "head's consistency. Exits 1 at the first failed check.")
    static final class Watch implements Callable<Integer> {
        @Mixin
        Target target;

        @Option(names = "--interval", defaultValue = "10s", paramLabel = "<duration>",
                description = "How often to look for new entries: 500ms, 10s, 5m (default: ${DEFAULT-VALUE}).")
        String interval;

        @Option(names = "--from-start", description = "Print the identities already in the log too.")
        boolean fromStart;

        @Override
        public Integer call() {
            return run(System.getenv(), System.out, System.err);
        }

        int run(Map<String, String> env, PrintStream out, PrintStream err) {
            LogMonitor monitor;
            Duration every;
            try {
                monitor = target.monitor(env);
                every = duration(interval);
            } catch (IllegalArgumentException e) {
                err.println("veil: " + e.getMessage());
                return 2;
            }
            String origin = Target.origin(target.gateway);
            boolean first = true;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    List<LogClient.Entry> fresh = monitor.step(first ? (check, detail) -> out.println("[ ok ] "
                            + check + ": " + detail) : (check, detail) -> { });
                    if (first) {
                        out.println("Watching " + origin + ": " + monitor.head().treeSize() + " entries verified; "
                                + "checking every " + interval);
                    }
                    if (!first || fromStart) {
                        fresh.forEach(e -> out.println(describe(e)));
                    }
                    out.flush();
                    first = false;
                } catch (LogMonitor.Failed e) {
                    out.println("ALERT [FAIL] " + e.check() + ": " + e.getMessage());
                    out.flush();
                    return 1;
                } catch (IOException e) {
                    // Unreachable is not misbehaviour: say so and keep watching.
                    err.println("veil: " + origin + ": " + unreachable(e) + " (retrying)");
                }
                try {
                    Thread.sleep(every);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return 0;
        }

        static Duration duration(String text) {
            String t = text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT);
            try {
                Duration d;
                if (t.endsWith("ms")) {
                    d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
                } else if (t.endsWith("s")) {
                    d = Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)));
                } else if (t.endsWith("m")) {
                    d = Duration.ofMinutes(Long.parseLong(t.substring(0, t.length() - 1)));
                } else {
                    d = Duration.ofSeconds(Long.parseLong(t));
                }
                if (d.toMillis() >= 100) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new IllegalArgumentException("--interval must be a duration of at least 100ms, e.g. 500ms, 10s, 5m");
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Why the gateway could not be read, for a person: the exception's message or, lacking one, its kind. */
    static String unreachable(IOException e) {
        String message = e.getMessage();
        return "the gateway could not be read (" + e.getClass().getSimpleName()
                + (message == null || message.isBlank() ? "" : ": " + message) + ")";
    }

    private static String type(LogClient.Entry e) {
        try {
            JsonNode json = JSON.readTree(e.text());
            return json == null ? "" : json.path("type").asText("");
        } catch (IOException ex) {
            return "";
        }
    }

    /**
     * One line per entry: when, which leaf, and for a node its name, whether simulated, format, measurement, node key,
     * signing key and GPUs.
     */
    static String describe(LogClient.Entry e) {
        // Entries are the gateway's text: no control character reaches the terminal (escape sequences could forge lines).
        return describeRaw(e).replaceAll("[\\p{Cntrl}]", "?");
    }

    private static String describeRaw(LogClient.Entry e) {
        String when = Instant.ofEpochMilli(e.createdAt()).toString();
        JsonNode json;
        try {
            json = JSON.readTree(e.text());
        } catch (IOException ex) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            return when + "  leaf " + e.index() + "  (not a JSON entry)";
        }
        String type = json.path("type").asText("");
        if (type.equals("log_key")) {
            return when + "  leaf " + e.index() + "  log_key " + json.path("public_key").asText();
        }
        if (!type.equals("node")) {
            return when + "  leaf " + e.index() + "  " + type;
        }
        StringBuilder gpus = new StringBuilder();
        for (JsonNode gpu : json.path("gpus")) {
            gpus.append(gpus.isEmpty() ? "" : ",").append(gpu.path("architecture").asText("?")).append('/')
                    .append(gpu.path("format").asText("?")).append(gpu.path("simulated").asBoolean() ? "(simulated)" : "");
        }
        JsonNode declaration = json.path("declaration");
        return when + "  leaf " + e.index() + "  node " + json.path("node").asText()
                + (json.path("simulated").asBoolean() ? "  SIMULATED" : "")
                + "  format=" + json.path("format").asText()
                + "  measurement=" + json.path("measurement").asText()
                + "  node_key=" + json.path("node_key_id").asText()
                + "  signing_key=" + json.path("signing_key").asText()
                + "  gpus=" + (gpus.isEmpty() ? "none" : gpus)
                + (declaration.isObject() && declaration.hasNonNull("name") ? "  declared_name="
                + declaration.path("name").asText() : "");
    }
}
