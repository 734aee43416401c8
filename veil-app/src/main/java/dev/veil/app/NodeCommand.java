package dev.veil.app;

import dev.veil.node.NodeSettings;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.node.VeilNode;
import java.io.PrintStream;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code veil node}: runs an enclave node in front of a local OpenAI-compatible engine. It attests its keys, decrypts
 * e2ee requests, runs them on the engine and encrypts the answers back (docs/e2ee.md). In a SEV-SNP or TDX guest the
 * evidence comes from configfs-tsm; without TEE hardware the attestation is simulated, and the command says so.
 */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run a Veil node: e2ee in front of a local OpenAI-compatible engine. In a SEV-SNP or TDX guest "
                + "its evidence comes from the hardware (configfs-tsm); elsewhere it is SIMULATED and says so.")
final class NodeCommand implements Callable<Integer> {

    @Option(names = "--engine", required = true, paramLabel = "<url>",
            description = "The local engine's OpenAI base URL, e.g. http://127.0.0.1:8000/v1 (loopback only, unless "
                    + "--allow-remote-engine).")
    String engine;

    @Option(names = "--model", required = true, paramLabel = "<public=engine>",
            description = "A public model id and the engine's name for it, e.g. llama-3-8b=meta-llama/Meta-Llama-3-8B-Instruct. "
                    + "Repeat for more models.")
    Map<String, String> models;

    @Option(names = "--engine-api", split = ",", paramLabel = "<api>",
            description = "API families the engine speaks natively: chat (default), responses, messages; comma "
                    + "separated or repeated. Responses and Messages requests for an engine without them are "
                    + "translated to chat completions inside the node.")
    java.util.List<String> engineApis;

    @Option(names = "--port", defaultValue = "9000", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--identity", defaultValue = NodeSettings.DEFAULT_IDENTITY, paramLabel = "<s>",
            description = "Declared software identity; its SHA-384 is the simulated measurement (default: ${DEFAULT-VALUE}).")
    String identity;

    @Option(names = "--rotate-every", defaultValue = "24h", paramLabel = "<duration>", converter = DurationConverter.class,
            description = "How often the HPKE key rotates: 24h, 90m, 30s, 1d or ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration rotateEvery;

    @Option(names = "--allow-remote-engine",
            description = "Allow an engine on another host. Decrypted requests then leave this machine: only for an "
                    + "engine inside the same trust boundary.")
    boolean allowRemoteEngine;

    @Option(names = "--name", paramLabel = "<name>",
            description = "The name this node answers to in a request's allow- and deny-lists (privacy.routes_allow, "
                    + "provider.only ...); signed into its attestation. Without it, allow-lists exclude the node.")
    String name;

    @Option(names = "--jurisdiction", paramLabel = "<code>",
            description = "Where this node processes requests (ISO country or region code such as EU); signed into its "
                    + "attestation and checked against privacy.jurisdictions. Without it, such policies exclude the node.")
    String jurisdiction;

    @Option(names = "--gateway-token-env", paramLabel = "<NAME>",
            description = "Name of the environment variable holding the secret the gateway signs its calls with (its "
                    + "api_key_env for this node); every call not signed with it gets 401. Without it, anyone who can "
                    + "reach the node may use it.")
    String gatewayTokenEnv;

    @Option(names = "--policy-url", paramLabel = "<url>", description = "Where the operator publishes its data policy.")
    String policyUrl;

    @Option(names = "--join", paramLabel = "<gateway URL>",
            description = "Join this gateway by attestation (docs/network.md): it checks the join token, attests this node"
                    + " with its own nonce and only then routes the node's models to it. Needs --join-token-env.")
    java.net.URI join;

    @Option(names = "--join-token-env", paramLabel = "<NAME>",
            description = "Name of the environment variable holding the join token the gateway's operator issued.")
    String joinTokenEnv;

    @Option(names = "--join-token", paramLabel = "<token>", hidden = true,
            description = "The join token itself (visible to other users in the process list: prefer --join-token-env).")
    String joinToken;

    @Option(names = "--advertise-url", paramLabel = "<url>",
            description = "Where the gateway reaches this node, e.g. https://node.example:9000 (default: http://<host>:<port>).")
    String advertiseUrl;

    @Option(names = "--gpus", defaultValue = "0", paramLabel = "<n>",
            description = "Confidential GPUs this node attests (their evidence is bound to the CPU report; default 0).")
    int gpus;

    @Option(names = "--gpu-evidence-command", paramLabel = "<command>", split = " ",
            description = "Command that prints the GPUs' evidence for a nonce ({\"gpus\":[...]}, see docs/attestation.md);"
                    + " run as '<command> <nonce hex>'. Without it, --gpus N gives SIMULATED GPU evidence.")
    java.util.List<String> gpuEvidenceCommand;

    @picocli.CommandLine.Option(names = "--tsm-root", hidden = true,
            description = "Where configfs-tsm is mounted (default /sys/kernel/config/tsm/report).")
    String tsmRoot;

    @Override
    public Integer call() {
        NodeSettings settings;
        VeilNode node;
        try {
            NodeDeclaration declared = NodeSettings.DEFAULT_DECLARATION;
            settings = new NodeSettings(host, port, engine, models, identity, rotateEvery, null, 0, 0, allowRemoteEngine,
                    new NodeDeclaration(blankToNull(name), declared.trains(), declared.retentionDays(), declared.zdr(),
                            blankToNull(jurisdiction), blankToNull(policyUrl)), null,
                    engineApis == null ? null : java.util.Set.copyOf(engineApis));
            if (gatewayTokenEnv != null) {
                String token = System.getenv(gatewayTokenEnv);
                if (token == null || token.isBlank()) {
                    System.err.println("veil: --gateway-token-env names " + gatewayTokenEnv + ", which is not set; set it "
                            + "to the secret the gateway's api_key_env for this node holds.");
                    return 2;
                }
                settings = settings.withGatewayToken(token);
            }
            // In a SEV-SNP or TDX guest the kernel's configfs-tsm interface gives hardware evidence; elsewhere the
            // node says plainly that its evidence is simulated.
            var hardware = dev.veil.node.ConfigfsTsmEvidenceSource.detect(
                    java.nio.file.Path.of(tsmRoot == null ? dev.veil.node.ConfigfsTsmEvidenceSource.DEFAULT_ROOT.toString() : tsmRoot));
            dev.veil.node.EvidenceSource cpu = hardware.isPresent() ? hardware.get()
                    : new dev.veil.node.SimulatedEvidenceSource(settings.softwareIdentity());
            node = VeilNode.start(settings, cpu, gpuSource());
        } catch (IllegalArgumentException e) {
            System.err.println("veil: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            System.err.println("veil: the node could not start on " + host + ":" + port + " ("
                    + e.getClass().getSimpleName() + "). Is the port in use? Try --port <n>.");
            return 1;
        }
        if (join != null) {
            String token = joinToken != null ? joinToken : joinTokenEnv == null ? null : System.getenv(joinTokenEnv);
            if (token == null || token.isBlank()) {
                System.err.println("veil: --join needs the join token: --join-token-env <NAME> naming a set variable.");
                node.close();
                return 2;
            }
            try {
                String id = node.join(join, token.trim(), advertiseUrl != null ? advertiseUrl : node.baseUrl(),
                        name != null ? name : "node-" + node.port());
                System.out.println("Joined " + join + " as " + id + "; the gateway routes to this node once its"
                        + " attestation verifies.");
            } catch (IllegalStateException e) {
                System.err.println("veil: " + e.getMessage());
                node.close();
                return 1;
            }
        }
        printWelcome(System.out, node, settings, join != null);
        ServeCommand.runUntilStopped(node);
        return 0;
    }

    /** The node's GPUs: none, a collector command for hardware, or simulated ones (labelled so everywhere). */
    private dev.veil.node.GpuEvidenceSource gpuSource() {
        if (gpuEvidenceCommand != null && !gpuEvidenceCommand.isEmpty()) {
            if (gpus < 1) {
                throw new IllegalArgumentException("--gpu-evidence-command needs --gpus <n>: how many GPUs it must report");
            }
            return new dev.veil.node.CommandGpuEvidenceSource(gpuEvidenceCommand, gpus);
        }
        if (gpus == 0) {
            return dev.veil.node.GpuEvidenceSource.NONE;
        }
        return new dev.veil.node.SimulatedGpuEvidenceSource(gpus, "hopper", "simulated GPU of " + identity);
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    static void printWelcome(PrintStream out, VeilNode node, NodeSettings settings, boolean joined) {
        out.println("Veil node on " + node.baseUrl());
        out.println("  node key id: " + node.currentNodeKeyId() + "  (rotates every " + format(settings.rotation()) + ")");
        if ("simulated".equals(node.attestationFormat())) {
            out.println("  attestation: SIMULATED attestation: no hardware TEE (format: simulated; verifiers refuse it "
                    + "unless simulated evidence is explicitly allowed)");
        } else {
            out.println("  attestation: " + node.attestationFormat());
        }
        NodeDeclaration d = settings.declaration();
        out.println("  declares: name " + (d.name() == null ? "(none)" : d.name()) + ", never trains, keeps nothing, "
                + "jurisdiction " + (d.jurisdiction() == null ? "(not declared)" : d.jurisdiction()));
        out.println("  engine: " + settings.engineBaseUrl());
        settings.models().forEach((publicId, engineModel) -> out.println("  model " + publicId + " -> " + engineModel));
        out.println("  attestation URL: " + node.baseUrl() + "/v1/attestation?nonce=<64 hex>");
        out.println(joined ? "  callers: only the gateway it joined, with the credential bound to its registration"
                : settings.gatewayToken() != null ? "  callers: only with the gateway's token (--gateway-token-env)"
                : "  callers: ANYONE who can reach this port (set --gateway-token-env to serve only your gateway)");
    }

    private static String format(Duration d) {
        if (d.toDaysPart() > 0 && d.toHoursPart() == 0 && d.toMinutesPart() == 0 && d.toSecondsPart() == 0) {
            return d.toDays() + "d";
        }
        return d.toString().substring(2).toLowerCase(Locale.ROOT);
    }

    /** Reads {@code 24h}, {@code 90m}, {@code 30s}, {@code 500ms}, {@code 1d}, or an ISO-8601 duration. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            Matcher m = SIMPLE.matcher(v);
            Duration d;
            if (m.matches()) {
                long n = Long.parseLong(m.group(1));
                d = switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            } else {
                try {
                    d = Duration.parse(value.trim().toUpperCase(Locale.ROOT));
                } catch (DateTimeParseException e) {
                    throw new TypeConversionException("'" + value + "' is not a duration; use e.g. 24h, 90m, 30s or 1d");
                }
            }
            if (d.isNegative() || d.isZero()) {
                throw new TypeConversionException("the duration must be positive");
            }
            return d;
        }
    }
}
