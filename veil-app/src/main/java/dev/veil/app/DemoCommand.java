package dev.veil.app;

import dev.veil.app.demo.DemoConfig;
import dev.veil.app.demo.DemoEngine;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.batch.files.MasterKey;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.node.NodeSettings;
import dev.veil.node.VeilNode;
import java.util.Map;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil demo}: the gateway on embedded defaults with a built-in demo engine, a fresh API key, and examples to
 * copy. Needs no GPU, no upstream and no configuration file.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the gateway with a built-in demo engine and print a ready-to-use API key.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--data-dir", defaultValue = "veil-data/demo",
            description = "Where the demo keeps its metadata store, its master key and its API key "
                    + "(default: ${DEFAULT-VALUE}, relative to the current directory).")
    Path dataDir;

    @Option(names = "--node-port", defaultValue = "0",
            description = "Port of the demo's e2ee node on 127.0.0.1 (default: a free port).")
    int nodePort;

    /** The file, in the data directory, that keeps the demo's API key between starts (mode 600). */
    static final String KEY_FILE = "demo-api-key";

    @Override
    public Integer call() {
        Path masterKey = dataDir.resolve("master.key");
        boolean newKey = false;
        try {
            if (!java.nio.file.Files.exists(masterKey)) {
                MasterKey.writeNewKeyFile(masterKey);
                newKey = true;
            }
        } catch (java.io.IOException e) {
            System.err.println("veil: cannot write the demo master key in " + dataDir + " (" + e.getClass().getSimpleName()
                    + "); try --data-dir <dir>");
            return 1;
        }
        DemoEngine engine = DemoEngine.start();
        // The demo's node serves only the demo's gateway: a random token per run, known to both.
        byte[] tokenBytes = new byte[32];
        new java.security.SecureRandom().nextBytes(tokenBytes);
        String nodeToken = java.util.HexFormat.of().formatHex(tokenBytes);
        VeilNode node;
        try {
            // The node declares what the gateway's route for it declares, so a request's policy gets the same verdict
            // through veil proxy (checked by the node) as in plaintext (checked by the gateway).
            // Simulated CPU and GPU evidence, labelled as such everywhere: the shape of a confidential-GPU node's
            // identity without the hardware.
            NodeSettings nodeSettings = NodeSettings.of(engine.baseUrl(), Map.of(DemoConfig.E2EE_MODEL, "demo-chat"))
                    .withPort(nodePort).withSoftwareIdentity("veil-demo-node/0.1.0")
                    .withDeclaration(new dev.veil.protocol.attestation.NodeDeclaration(DemoConfig.NODE_ROUTE, false, 0,
                            true, "local", null))
                    .withGatewayToken(nodeToken);
            node = VeilNode.start(nodeSettings, new dev.veil.node.SimulatedEvidenceSource(nodeSettings.softwareIdentity()),
                    new dev.veil.node.SimulatedGpuEvidenceSource(DemoConfig.NODE_GPUS, "hopper",
                            "veil-demo simulated H100: driver 550.90.07, VBIOS 96.00.9F.00.04"));
        } catch (RuntimeException e) {
            engine.close();
            System.err.println("veil: the demo's node could not start on 127.0.0.1:" + nodePort + " ("
                    + e.getClass().getSimpleName() + "). Is the port in use? Try --node-port <n>, or 0 for a free one.");
            return 1;
        }
        VeilConfig config = DemoConfig.build(engine.baseUrl(), node.baseUrl(), host, port, dataDir.toString(),
                masterKey.toString());
        Gateway gateway;
        String adminToken;
        try {
            Map<String, String> env = new java.util.HashMap<>(System.getenv());
            env.put(DemoConfig.NODE_TOKEN_ENV, nodeToken);
            adminToken = demoAdminToken(env, config.server().adminTokenEnv());
            gateway = Gateway.start(config, env);
        } catch (RuntimeException e) {
            node.close();
            engine.close();
            System.err.println("veil: the demo could not start on " + host + ":" + port + " ("
                    + e.getClass().getSimpleName() + "). Is the port in use? Try --port <n>.");
            return 1;
        }
        String secret;
        try {
            secret = demoKey(gateway, dataDir.resolve(KEY_FILE));
        } catch (java.io.IOException e) {
            gateway.close();
            node.close();
            engine.close();
            System.err.println("veil: cannot keep the demo API key in " + dataDir + " (" + e.getClass().getSimpleName()
                    + "); try --data-dir <dir>");
            return 1;
        }
        String batchNote = gateway.batchesEnabled()
                ? (newKey ? "generated the demo master key " : "using the demo master key ") + masterKey
                + " (mode 600): files and batch results are encrypted at rest with keys wrapped by it"
                : null;
        printWelcome(System.out, gateway, secret, batchNote);
        printJoin(System.out, gateway, engine.baseUrl());
        printTransparency(System.out, gateway, dataDir);
        printDashboard(System.out, gateway, adminToken.equals(System.getenv(config.server().adminTokenEnv()))
                ? "the admin token in $" + config.server().adminTokenEnv() : adminToken);
        System.out.println("Press Ctrl+C to stop.");
        System.out.flush();
        ServeCommand.runUntilStopped(gateway, node, engine);
        return 0;
    }

    /**
     * How to pin the demo's transparency log key in {@code veil proxy} and audit the log with {@code veil log}. The key
     * is the operator's (read from the data directory, as an operator would publish it); a real user takes it from a
     * source they trust, not from the gateway.
     */
    static void printTransparency(PrintStream out, Gateway gateway, Path dataDir) {
        String logKey;
        try {
            logKey = java.util.Base64.getEncoder().encodeToString(dev.veil.gateway.transparency.LogKeyFile.loadOrCreate(
                    dataDir.resolve(dev.veil.gateway.transparency.LogKeyFile.NAME)).publicKey());
        } catch (java.io.IOException e) {
            return;
        }
        String base = "http://" + gateway.host() + ":" + gateway.port();
        out.println("Transparency log (every node identity the gateway admitted; docs/transparency.md):");
        out.println("  export VEIL_LOG_KEY=" + logKey);
        out.println("  ./veil proxy --gateway " + base + " --api-key $VEIL_API_KEY --allow-simulated "
                + "--transparency-log-key $VEIL_LOG_KEY");
        out.println("  (the proxy refuses any node, a joined one too, whose identity is missing from the log, and a tree head"
                + " that forks from the one it kept in its state directory, ~/.veil by default)");
        out.println("  ./veil log verify " + base + " --log-key $VEIL_LOG_KEY");
        out.println("  ./veil log watch " + base + " --log-key $VEIL_LOG_KEY");
        out.println();
    }

    /**
     * The demo's API key: the one a previous start kept in {@code keyFile} while the store still knows it as active,
     * else a new one, kept there (mode 600). So restarting the demo neither adds an active key each time nor changes
     * the key the user exported.
     */
    static String demoKey(Gateway gateway, Path keyFile) throws java.io.IOException {
        if (java.nio.file.Files.isRegularFile(keyFile)) {
            String kept = java.nio.file.Files.readString(keyFile, java.nio.charset.StandardCharsets.US_ASCII).trim();
            boolean active = !kept.isEmpty() && gateway.store().apiKeys()
                    .findBySecretHash(ApiKeyIssuer.hashSecret(kept)).map(k -> k.active()).orElse(false);
            if (active) {
                return kept;
            }
        }
        IssuedKey key = ApiKeyIssuer.issue("demo", Instant.now());
        gateway.store().apiKeys().insert(key.record(), dev.veil.store.AuditActor.CLI);
        dev.veil.protocol.PrivateFile.write(keyFile, key.secret() + "\n");
        return key.secret();
    }

    /**
     * The demo's admin token: the one in the environment when the user set it, else a new random one for this run, put
     * into {@code env} so the admin API and the dashboard's operator login work.
     */
    static String demoAdminToken(Map<String, String> env, String adminTokenEnv) {
        String given = env.get(adminTokenEnv);
        if (given != null && !given.isBlank()) {
            return given;
        }
        byte[] bytes = new byte[32];
        new java.security.SecureRandom().nextBytes(bytes);
        String token = "veil_admin_" + java.util.HexFormat.of().formatHex(bytes);
        env.put(adminTokenEnv, token);
        return token;
    }

    /**
     * How a second node joins this gateway by attestation (docs/network.md): the demo's policy allows simulated
     * evidence, so a {@code veil node} on this machine, serving the demo engine, is admitted and routed to.
     */
    static void printJoin(PrintStream out, Gateway gateway, String engineBaseUrl) {
        String base = "http://" + gateway.host() + ":" + gateway.port();
        out.println("A second node joins by attestation (simulated evidence, which only a demo policy allows):");
        out.println("  export VEIL_ADMIN_TOKEN=<the dashboard's admin token, printed below>");
        out.println("  ./veil nodes tokens create --model " + DemoConfig.JOINED_MODEL + " --gateway " + base
                + "    (prints the join token once)");
        out.println("  export VEIL_JOIN_TOKEN=<its \"token\">");
        out.println("  ./veil node --engine " + engineBaseUrl + " --model " + DemoConfig.JOINED_MODEL + "=demo-chat --port 9101 \\");
        out.println("    --join " + base + " --join-token-env VEIL_JOIN_TOKEN --name second-node");
        out.println("  then: model " + DemoConfig.JOINED_MODEL + " is served by it (x-veil-route names its registration),"
                + " ./veil nodes list --gateway " + base + " lists its identity,");
        out.println("  and " + base + "/v1/transparency/entries (with your API key) holds it in the log");
        out.println();
    }

    /** Where the dashboard is and how to log in to it. */
    static void printDashboard(PrintStream out, Gateway gateway, String adminLogin) {
        out.println("Dashboard: http://" + gateway.host() + ":" + gateway.port() + "/ui");
        out.println("  operator login (admin token, new each run): " + adminLogin);
        out.println("  or log in with the VEIL_API_KEY above to see that key's own usage");
        out.println();
    }

    static void printWelcome(PrintStream out, Gateway gateway, String secret, String batchNote) {
        String base = "http://" + gateway.host() + ":" + gateway.port();
        out.println("Veil demo gateway on " + base + " (models served by the built-in DEMO engine, not a real model)");
        gateway.catalog().models().forEach(m -> out.println("  model " + m.id() + "  privacy mode: " + m.mode().wireName()
                + "  (routes: " + String.join(", ", m.routes().stream().map(r -> r.name() + "=" + r.mode().wireName()
                + (r.policy().teeKind() == dev.veil.protocol.TeeKind.SIMULATED ? " [simulated TEE, no hardware]" : ""))
                .toList()) + ")"));
        out.println();
        out.println("VEIL_API_KEY=" + secret);
        out.println();
        out.println("Try it with curl:");
        out.println("  export VEIL_API_KEY=" + secret);
        out.println("  curl -s " + base + "/v1/chat/completions -H \"Authorization: Bearer $VEIL_API_KEY\" \\");
        out.println("    -H 'Content-Type: application/json' \\");
        out.println("    -d '{\"model\":\"" + DemoConfig.CHAT_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
        out.println("  curl -sN " + base + "/v1/chat/completions -H \"Authorization: Bearer $VEIL_API_KEY\" \\");
        out.println("    -H 'Content-Type: application/json' \\");
        out.println("    -d '{\"model\":\"" + DemoConfig.CHAT_MODEL + "\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
        out.println("  curl -s " + base + "/v1/models -H \"Authorization: Bearer $VEIL_API_KEY\"");
        out.println();
        out.println("Ask for a stronger privacy policy and watch the x-veil-route header change (or get a typed refusal):");
        out.println("  curl -si " + base + "/v1/chat/completions -H \"Authorization: Bearer $VEIL_API_KEY\" \\");
        out.println("    -H 'Content-Type: application/json' \\");
        out.println("    -d '{\"model\":\"" + DemoConfig.CHAT_MODEL + "\",\"provider\":{\"zdr\":true},\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
        out.println("    (also try \"privacy\":{\"min_mode\":\"tee\"} and \"privacy\":{\"min_mode\":\"e2ee\"})");
        out.println();
        out.println("End-to-end encrypted (model " + DemoConfig.E2EE_MODEL + ", a node with SIMULATED attestation, no TEE hardware):");
        out.println("  ./veil proxy --gateway " + base + " --api-key $VEIL_API_KEY --allow-simulated");
        out.println("  curl -s http://127.0.0.1:8787/v1/chat/completions -H 'Content-Type: application/json' \\");
        out.println("    -d '{\"model\":\"" + DemoConfig.E2EE_MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
        out.println("  (the proxy verifies the node's attestation, encrypts to its key, and decrypts the answer; the gateway");
        out.println("   relays ciphertext only)");
        out.println();
        out.println("Or with the OpenAI SDK (Python shown; every OpenAI SDK works the same way):");
        out.println("  from openai import OpenAI");
        out.println("  client = OpenAI(base_url=\"" + base + "/v1\", api_key=\"" + secret + "\")");
        out.println("  reply = client.chat.completions.create(model=\"" + DemoConfig.CHAT_MODEL
                + "\", messages=[{\"role\": \"user\", \"content\": \"Hello\"}])");
        out.println("  print(reply.choices[0].message.content)");
        out.println();
        if (batchNote != null) {
            out.println("Batches (OpenAI Files and Batches API, " + batchNote + "):");
            out.println("  ./veil batch submit requests.jsonl --model " + DemoConfig.CHAT_MODEL + " --gateway " + base
                    + " --wait");
            out.println("  ./veil batch results <batch_id> --gateway " + base);
            out.println();
        }
        out.flush();
    }
}
