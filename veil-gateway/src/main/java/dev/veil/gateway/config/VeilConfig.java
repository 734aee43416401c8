package dev.veil.gateway.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole Veil configuration, as bound from {@code veil.yaml} by {@link ConfigLoader}. Immutable.
 *
 * @param server    the HTTP listener; defaults when left out
 * @param store     the database; defaults when left out
 * @param upstreams the OpenAI-compatible engines and providers Veil relays to; empty by default
 * @param models    the public models Veil serves, each with its routes to upstreams; empty by default
 * @param routing   retries, fallbacks and circuit breakers; defaults when left out
 * @param attestation the attestation policy nodes must satisfy; defaults (hardware only) when left out
 * @param batch     the Files and Batches API; defaults when left out
 * @param redis     the Redis (or Valkey) shared by several instances for rate and concurrency limits; none by default
 */
public record VeilConfig(ServerConfig server, StoreConfig store, List<UpstreamConfig> upstreams,
                         List<ModelConfig> models, RoutingConfig routing, AttestationConfig attestation,
                         BatchConfig batch, RedisConfig redis) {

    /** A configuration without Redis. */
    public VeilConfig(ServerConfig server, StoreConfig store, List<UpstreamConfig> upstreams, List<ModelConfig> models,
                      RoutingConfig routing, AttestationConfig attestation, BatchConfig batch) {
        this(server, store, upstreams, models, routing, attestation, batch, null);
    }

    /** A configuration with default batch settings. */
    public VeilConfig(ServerConfig server, StoreConfig store, List<UpstreamConfig> upstreams, List<ModelConfig> models,
                      RoutingConfig routing, AttestationConfig attestation) {
        this(server, store, upstreams, models, routing, attestation, null);
    }

    /** A configuration with default routing and attestation settings. */
    public VeilConfig(ServerConfig server, StoreConfig store, List<UpstreamConfig> upstreams, List<ModelConfig> models) {
        this(server, store, upstreams, models, null, null, null);
    }

    /** Applies defaults to the parts left {@code null} and makes the lists immutable. */
    public VeilConfig {
        batch = batch == null ? BatchConfig.defaults() : batch;
        redis = redis == null ? RedisConfig.defaults() : redis;
        attestation = attestation == null ? AttestationConfig.defaults() : attestation;
        routing = routing == null ? RoutingConfig.defaults() : routing;
        server = server == null ? ServerConfig.defaults() : server;
        store = store == null ? StoreConfig.defaults() : store;
        upstreams = upstreams == null ? List.of() : List.copyOf(upstreams);
        models = models == null ? List.of() : List.copyOf(models);
    }

    /** A configuration with every default and no upstreams or models. */
    public static VeilConfig defaults() {
        return new VeilConfig(null, null, null, null, null, null, null, null);
    }

    /** The upstream with this name, if any. */
    public Optional<UpstreamConfig> upstream(String name) {
        return upstreams.stream().filter(u -> Objects.equals(u.name(), name)).findFirst();
    }

    /** The model with this public id, if any. */
    public Optional<ModelConfig> model(String id) {
        return models.stream().filter(m -> Objects.equals(m.id(), id)).findFirst();
    }
}
