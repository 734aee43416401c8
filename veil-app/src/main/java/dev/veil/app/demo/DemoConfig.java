package dev.veil.app.demo;

import dev.veil.gateway.config.ModelConfig;
import dev.veil.gateway.config.PolicyConfig;
import dev.veil.gateway.config.PriceConfig;
import dev.veil.gateway.config.RouteConfig;
import dev.veil.gateway.config.ServerConfig;
import dev.veil.gateway.config.StoreConfig;
import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.config.VeilConfig;
import java.util.List;

/** The configuration {@code veil demo} runs: every model is served by the in-process demo engine. */
public final class DemoConfig {

    public static final String CHAT_MODEL = "veil-demo-chat";
    public static final String ANONYMIZED_CHAT_MODEL = "veil-demo-chat-anonymized";
    public static final String EMBEDDING_MODEL = "veil-demo-embed";
    static final String OWNER = "veil-demo";
    static final String UPSTREAM = "demo-engine";

    private DemoConfig() {
    }

    /** A configuration for a gateway on {@code host:port} with its store in {@code dataDir}. */
    public static VeilConfig build(String engineBaseUrl, String host, int port, String dataDir) {
        PolicyConfig zeroRetention = new PolicyConfig(false, 0, true, "none", false, "local",
                null);
        PolicyConfig retaining = new PolicyConfig(true, 30, false, "none", false, null, null);
        PriceConfig price = new PriceConfig(0.50, 1.50);
        return new VeilConfig(
                new ServerConfig(host, port, ServerConfig.DEFAULT_MAX_BODY_BYTES, ServerConfig.DEFAULT_ADMIN_TOKEN_ENV, List.of()),
                new StoreConfig(dataDir, null, null, null, StoreConfig.DEFAULT_POOL_SIZE, StoreConfig.DEFAULT_RETENTION_DAYS),
                List.of(UpstreamConfig.of(UPSTREAM, engineBaseUrl)),
                List.of(
                        new ModelConfig(CHAT_MODEL, OWNER, "Demo engine (not a real model): deterministic text, "
                                + "zero-retention route", List.of(new RouteConfig("demo-private", UPSTREAM, "demo-chat", 1, price,
                                zeroRetention))),
                        new ModelConfig(ANONYMIZED_CHAT_MODEL, OWNER, "Demo engine (not a real model) behind a route "
                                + "that declares 30-day retention and training", List.of(new RouteConfig("demo-retaining",
                                UPSTREAM, "demo-chat", 1, price, retaining))),
                        new ModelConfig(EMBEDDING_MODEL, OWNER, "Demo engine (not a real model): deterministic embeddings",
                                List.of(new RouteConfig("demo-private", UPSTREAM, "demo-embed", 1, new PriceConfig(0.02, 0),
                                        zeroRetention)))));
    }
}
