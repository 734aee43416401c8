package dev.veil.app;

import dev.veil.client.proxy.E2eeProxy;
import dev.veil.client.proxy.PolicyFile;
import dev.veil.client.proxy.ProxySettings;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code veil proxy --gateway <url> --api-key <key>}: a local OpenAI API that end-to-end encrypts every request to an
 * attested Veil node, so any OpenAI client gets e2ee by changing its base URL.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run a local OpenAI-compatible proxy that end-to-end encrypts requests to attested Veil nodes.")
final class ProxyCommand implements Callable<Integer> {

    static final String API_KEY_ENV = "VEIL_API_KEY";

    @Option(names = "--gateway", required = true, description = "The Veil gateway URL, e.g. https://gateway.example.")
    String gateway;

    @Option(names = "--api-key", description = "Your Veil API key (default: the " + API_KEY_ENV + " environment variable).")
    String apiKey;

    @Option(names = "--port", defaultValue = "8787", description = "Local port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Local address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--policy", description = "Attestation policy file (YAML or JSON): allowed_formats, allowed_measurements, allow_simulated.")
    Path policyFile;

    @Option(names = "--allow-simulated", description = "Accept simulated attestation evidence (development only: it proves nothing).")
    boolean allowSimulated;

    @Option(names = "--tdx-collateral", paramLabel = "<dir>",
            description = "Intel collateral (tcb_info.json, qe_identity.json, CRLs; see docs/attestation.md) to accept TDX nodes.")
    java.nio.file.Path tdxCollateral;

    @Option(names = "--gpu-collateral", paramLabel = "<dir>",
            description = "NVIDIA driver and VBIOS RIMs and OCSP responses (see docs/attestation.md) to accept nodes with"
                    + " confidential GPUs; without it their GPU evidence is refused.")
    java.nio.file.Path gpuCollateral;

    @Option(names = "--transparency-log-key", paramLabel = "<base64>",
            description = "Require every node to be published in the gateway's transparency log under tree heads signed "
                    + "by this key (log_key of GET /v1/transparency/head; see docs/transparency.md).")
    String transparencyLogKey;

    @Option(names = "--state-dir", paramLabel = "<dir>",
            description = "Where the proxy keeps the last transparency log tree head it accepted, in "
                    + TREE_HEAD_FILE + " (default: $" + ClientState.ENV + " or ~/.veil).")
    Path stateDir;

    /** The file in the state directory that keeps the accepted tree heads (docs/transparency.md). */
    static final String TREE_HEAD_FILE = "proxy-tree-heads.json";

    @Override
    public Integer call() {
        return run(System.getenv(), System.out, System.err);
    }

    int run(Map<String, String> env, PrintStream out, PrintStream err) {
        String key = apiKey != null && !apiKey.isBlank() ? apiKey : env.get(API_KEY_ENV);
        if (key == null || key.isBlank()) {
            err.println("veil: an API key is required: pass --api-key <key> or set " + API_KEY_ENV + ".");
            return 2;
        }
        AttestationPolicy policy = AttestationPolicy.HARDWARE_ONLY;
        if (policyFile != null) {
            try {
                policy = PolicyFile.load(policyFile);
            } catch (PolicyFile.InvalidPolicyException e) {
                err.println("veil: invalid attestation policy in " + policyFile + ": " + e.getMessage());
                return 2;
            }
        }
        if (allowSimulated) {
            policy = PolicyFile.allowingSimulated(policy);
        }
        if (policy.allowSimulated()) {
            warnSimulated(err);
        }
        ProxySettings settings;
        try {
            byte[] logKey = transparencyLogKey == null ? null : java.util.Base64.getDecoder().decode(transparencyLogKey.trim());
            if (logKey != null && logKey.length != 32) {
                err.println("veil: --transparency-log-key must be a 32-byte Ed25519 key in base64 (log_key of "
                        + "GET /v1/transparency/head).");
                return 2;
            }
            settings = new ProxySettings(gateway, key, host, port, policy, null, logKey,
                    ClientState.dir(stateDir, env).resolve(TREE_HEAD_FILE));
        } catch (IllegalArgumentException e) {
            err.println("veil: " + e.getMessage());
            return 2;
        }
        dev.veil.protocol.attestation.AttestationVerifier verifier;
        try {
            verifier = dev.veil.protocol.attestation.HardwareVerifiers.verifier(
                    tdxCollateral == null ? null : dev.veil.protocol.attestation.tdx.TdxCollateral.load(tdxCollateral),
                    gpuCollateral == null ? null : dev.veil.protocol.attestation.nvidia.GpuCollateral.load(gpuCollateral));
        } catch (Exception e) {
            err.println("veil: --tdx-collateral / --gpu-collateral: " + e.getMessage());
            return 2;
        }
        E2eeProxy proxy;
        try {
            proxy = E2eeProxy.start(settings, verifier);
        } catch (IllegalArgumentException e) {
            err.println("veil: " + e.getMessage());
            return 2;
        } catch (IllegalStateException e) {
            // The kept tree heads cannot be read: starting without them would forget what was accepted. Fail closed.
            err.println("veil: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("veil: " + e.getMessage() + ". Is the port in use? Try --port <n>.");
            return 1;
        }
        printWelcome(out, proxy, gateway, policy);
        out.println("  transparency: " + (settings.transparencyLogKey() == null ? "log key not pinned (a log the "
                + "gateway sends is still checked)" : "every node must be published under the pinned log key")
                + "; tree heads kept in " + settings.treeHeadFile());
        ServeCommand.runUntilStopped(proxy);
        return 0;
    }

    static void warnSimulated(PrintStream err) {
        err.println("veil: WARNING ****************************************************************");
        err.println("veil: WARNING  --allow-simulated: SIMULATED attestation evidence is accepted.");
        err.println("veil: WARNING  Simulated evidence proves NOTHING: there is no hardware TEE behind it, and");
        err.println("veil: WARNING  whoever runs the node can read your prompts. Use it for development only.");
        err.println("veil: WARNING ****************************************************************");
    }

    static void printWelcome(PrintStream out, E2eeProxy proxy, String gateway, AttestationPolicy policy) {
        String base = proxy.baseUrl();
        out.println("Veil e2ee proxy on " + base + " -> gateway " + gateway);
        out.println("  attestation: formats " + (policy.allowedFormats().isEmpty() ? "any hardware TEE"
                : String.join(", ", policy.allowedFormats()))
                + ", measurements " + (policy.allowedMeasurements().isEmpty() ? "any" : policy.allowedMeasurements().size()
                + " allowed") + (policy.allowSimulated() ? ", SIMULATED ALLOWED (development only)" : ""));
        out.println();
        out.println("Point any OpenAI client at it (the API key it sends is ignored; the proxy uses yours):");
        out.println("  OPENAI_BASE_URL=" + base);
        out.println();
        out.println("Try it with curl:");
        out.println("  curl -s " + base + "/chat/completions -H 'Content-Type: application/json' \\");
        out.println("    -d '{\"model\":\"<model>\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'");
        out.println("  curl -s " + base + "/models");
    }
}
