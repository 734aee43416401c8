package dev.veil.app.demo;

import dev.veil.gateway.config.AttestationConfig;
import dev.veil.gateway.config.BatchConfig;
import dev.veil.gateway.config.ModelConfig;
import dev.veil.gateway.config.PolicyConfig;
import dev.veil.gateway.config.PriceConfig;
import dev.veil.gateway.config.RouteConfig;
import dev.veil.gateway.config.ServerConfig;
import dev.veil.gateway.config.StoreConfig;
import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.config.VeilConfig;
import java.util.List;

/**
 * The configuration {@code veil demo} runs. Every route is served by the in-process demo engine, but the routes
 * declare data policies of different strengths, so a request's privacy policy visibly changes where it goes:
 * {@code veil-demo-chat} has an anonymized, a private and a (simulated) tee route.
 */
public final class DemoConfig {

    public static final String CHAT_MODEL = "veil-demo-chat";
    /** The model the demo's printout lets a second node join for (docs/network.md); not configured, joined only. */
    public static final String JOINED_MODEL = "veil-demo-joined";
    public static final String EMBEDDING_MODEL = "veil-demo-embed";
    public static final String E2EE_MODEL = "veil-demo-e2ee";
    public static final String NODE_ROUTE = "demo-node-simulated";
    /**
     * The demo node's simulated GPUs (every GPU report a node presents must verify; the demo gateway does not require
     * GPUs, so a node joined with {@code veil node --join} without any is admitted too).
     */
    public static final int NODE_GPUS = 1;
    static final String NODE_UPSTREAM = "demo-node";
    /** The variable the demo gateway reads its node's token from (the demo makes a random one per run). */
    public static final String NODE_TOKEN_ENV = "VEIL_DEMO_NODE_TOKEN";
    public static final String ANONYMIZED_ROUTE = "demo-anonymized";
    public static final String PRIVATE_ROUTE = "demo-private";
    public static final String TEE_ROUTE = "demo-tee-simulated";
    static final String OWNER = "veil-demo";
    static final String UPSTREAM = "demo-engine";

    private DemoConfig() {
    }

    /** The demo engine also speaks the Responses API. */
    private static UpstreamConfig speaksResponses(UpstreamConfig u) {
        return new UpstreamConfig(u.name(), u.baseUrl(), u.apiKeyEnv(), u.headers(), u.connectTimeoutMs(),
                u.idleTimeoutMs(), u.maxConnections(), u.node(), u.poolWaitTimeoutMs(), u.maxWaitQueue(),
                u.maxResponseBytes(), u.maxErrorBytes(), u.maxEventBytes(),
                List.of(dev.veil.protocol.api.Endpoint.API_CHAT, dev.veil.protocol.api.Endpoint.API_RESPONSES));
    }

    /** A configuration for a gateway on {@code host:port} with its store in {@code dataDir}, without a node. */
    public static VeilConfig build(String engineBaseUrl, String host, int port, String dataDir) {
        return build(engineBaseUrl, null, host, port, dataDir);
    }

    /**
     * A configuration for a gateway on {@code host:port} with its store in {@code dataDir}; with {@code nodeOrigin},
     * also the e2ee model served by that in-process node, whose attestation is SIMULATED (no TEE hardware): the demo's
     * attestation policy allows simulated evidence, which a production policy never should.
     */
    public static VeilConfig build(String engineBaseUrl, String nodeOrigin, String host, int port, String dataDir) {
        return build(engineBaseUrl, nodeOrigin, host, port, dataDir, null);
    }

    /** As above, with the batch API's master key read from {@code masterKeyFile} (unless VEIL_MASTER_KEY is set). */
    public static VeilConfig build(String engineBaseUrl, String nodeOrigin, String host, int port, String dataDir,
                                   String masterKeyFile) {
        PolicyConfig retaining = new PolicyConfig(true, 30, false, "none", false, "local", null);
        PolicyConfig zeroRetention = new PolicyConfig(false, 0, true, "none", false, "local", null);
        // "simulated": no hardware TEE; labelled as simulated wherever the policy shows.
        PolicyConfig simulatedTee = new PolicyConfig(false, 0, true, "simulated", false, "local", null);
        PolicyConfig simulatedNode = new PolicyConfig(false, 0, true, "simulated", true, "local", null);
        List<UpstreamConfig> upstreams = new java.util.ArrayList<>(List.of(speaksResponses(
                UpstreamConfig.of(UPSTREAM, engineBaseUrl))));
        List<ModelConfig> models = new java.util.ArrayList<>(List.of(
                        new ModelConfig(CHAT_MODEL, OWNER, "Demo engine (not a real model): deterministic text, behind "
                                + "an anonymized, a private and a simulated-TEE route", List.of(
                                new RouteConfig(ANONYMIZED_ROUTE, UPSTREAM, "demo-chat", 2, new PriceConfig(0.20, 0.60), retaining),
                                new RouteConfig(PRIVATE_ROUTE, UPSTREAM, "demo-chat", 1, new PriceConfig(0.50, 1.50), zeroRetention),
                                new RouteConfig(TEE_ROUTE, UPSTREAM, "demo-chat", 1, new PriceConfig(0.80, 2.40), simulatedTee))),
                        new ModelConfig(EMBEDDING_MODEL, OWNER, "Demo engine (not a real model): deterministic embeddings",
                                List.of(new RouteConfig(PRIVATE_ROUTE, UPSTREAM, "demo-embed", 1, new PriceConfig(0.02, 0),
                                        zeroRetention)))));
        if (nodeOrigin != null) {
            upstreams.add(UpstreamConfig.node(NODE_UPSTREAM, nodeOrigin, NODE_TOKEN_ENV));
            models.add(new ModelConfig(E2EE_MODEL, OWNER, "Demo engine (not a real model) behind a Veil node with SIMULATED "
                    + "attestation (no TEE hardware): end-to-end encrypted through veil proxy",
                    List.of(new RouteConfig(NODE_ROUTE, NODE_UPSTREAM, null, 1, new PriceConfig(0.80, 2.40), simulatedNode))));
        }
        return new VeilConfig(
                new ServerConfig(host, port, ServerConfig.DEFAULT_MAX_BODY_BYTES, ServerConfig.DEFAULT_ADMIN_TOKEN_ENV, List.of()),
                new StoreConfig(dataDir, null, null, null, StoreConfig.DEFAULT_POOL_SIZE, StoreConfig.DEFAULT_RETENTION_DAYS,
                        StoreConfig.DEFAULT_REQUEST_LOG),
                upstreams, models, null,
                new AttestationConfig(List.of("simulated"), List.of(), true, AttestationConfig.DEFAULT_REATTEST_INTERVAL_MS),
                BatchConfig.defaults().withMasterKeyFile(masterKeyFile));
    }
}
