package dev.veil.gateway.routing;

import dev.veil.gateway.config.ModelConfig;
import dev.veil.gateway.config.PriceConfig;
import dev.veil.gateway.config.RouteConfig;
import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.tokens.Tokenizer;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The public models and their routes: built from a validated configuration, plus the routes of nodes that joined
 * (docs/network.md), which come and go. Readers see an immutable snapshot; the rare changes replace it.
 */
public final class ModelCatalog {

    private volatile Map<String, Upstream> upstreams;
    private volatile Map<String, Model> models;
    /** The configured models, to restore a model whose last joined route went. */
    private final Map<String, Model> configured;

    private ModelCatalog(Map<String, Upstream> upstreams, Map<String, Model> models) {
        this.upstreams = upstreams;
        this.models = models;
        this.configured = models;
    }

    /**
     * Adds a joined node's upstream and its routes (one per model it serves): to the configured model of that id, or
     * as a model of its own.
     */
    public synchronized void addJoined(Upstream upstream, List<Route> routes) {
        removeJoined(upstream.name());
        Map<String, Upstream> nextUpstreams = new LinkedHashMap<>(upstreams);
        nextUpstreams.put(upstream.name(), upstream);
        Map<String, Model> next = new LinkedHashMap<>(models);
        for (Route route : routes) {
            Model before = next.get(route.modelId());
            List<Route> merged = new ArrayList<>(before == null ? List.of() : before.routes());
            merged.add(route);
            next.put(route.modelId(), before == null
                    ? new Model(route.modelId(), "veil-node", "served by joined Veil nodes", Instant.now().getEpochSecond(), merged)
                    : new Model(before.id(), before.ownedBy(), before.description(), before.created(), merged));
        }
        upstreams = Map.copyOf(nextUpstreams);
        models = java.util.Collections.unmodifiableMap(next);
    }

    /** Removes a joined node's upstream and routes; a model left without routes goes (configured ones keep theirs). */
    public synchronized void removeJoined(String upstreamName) {
        if (!upstreams.containsKey(upstreamName) || configuredUpstream(upstreamName)) {
            return;
        }
        Map<String, Upstream> nextUpstreams = new LinkedHashMap<>(upstreams);
        nextUpstreams.remove(upstreamName);
        Map<String, Model> next = new LinkedHashMap<>();
        for (Model m : models.values()) {
            List<Route> kept = m.routes().stream().filter(r -> !r.upstream().name().equals(upstreamName)).toList();
            if (!kept.isEmpty()) {
                next.put(m.id(), kept.size() == m.routes().size() ? m
                        : new Model(m.id(), m.ownedBy(), m.description(), m.created(), kept));
            }
        }
        upstreams = Map.copyOf(nextUpstreams);
        models = java.util.Collections.unmodifiableMap(next);
    }

    private boolean configuredUpstream(String name) {
        return configured.values().stream().flatMap(m -> m.routes().stream())
                .anyMatch(r -> r.upstream().name().equals(name));
    }

    /** Builds the catalog; credentials are read from {@code env} by the variable names the configuration gives. */
    public static ModelCatalog from(VeilConfig config, Map<String, String> env) {
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        for (UpstreamConfig u : config.upstreams()) {
            Optional<String> token = Optional.ofNullable(u.apiKeyEnv()).map(env::get).filter(v -> !v.isBlank());
            upstreams.put(u.name(), new Upstream(u.name(), URI.create(u.baseUrl()), token,
                    u.headers() == null ? Map.of() : Map.copyOf(u.headers()), u.connectTimeoutMs(), u.idleTimeoutMs(),
                    u.maxConnections(), u.node(), u.poolWaitTimeoutMs(), u.maxWaitQueue(), u.maxResponseBytes(),
                    u.maxErrorBytes(), (int) u.maxEventBytes(), java.util.Set.copyOf(u.apis())));
        }
        long created = Instant.now().getEpochSecond();
        Map<String, Model> models = new LinkedHashMap<>();
        for (ModelConfig m : config.models()) {
            List<Route> routes = new ArrayList<>();
            for (RouteConfig r : m.routes()) {
                PriceConfig p = r.price();
                Price price = p == null ? Price.FREE : new Price(p.inputPerMillion(), p.outputPerMillion());
                Upstream upstream = upstreams.get(r.upstream());
                // A node maps the public model id to its engine's model itself: the id travels sealed.
                String upstreamModel = upstream.node() ? m.id() : r.model();
                // The declared tokenizer, else the encoding OpenAI uses for the model name the upstream knows.
                Tokenizer tokenizer = r.tokenizer() != null ? Tokenizer.named(r.tokenizer()).orElse(Tokenizer.ESTIMATE)
                        : Tokenizer.forModel(r.model());
                routes.add(new Route(m.id(), r.name(), upstream, upstreamModel, r.weight(), price,
                        r.policy() == null ? dev.veil.protocol.DataPolicy.UNKNOWN : r.policy().toDataPolicy(),
                        r.supportedParameters() == null ? null : java.util.Set.copyOf(r.supportedParameters()),
                        r.forwardRules(), tokenizer));
            }
            models.put(m.id(), new Model(m.id(), m.ownedBy(), m.description(), created, routes));
        }
        return new ModelCatalog(Map.copyOf(upstreams), java.util.Collections.unmodifiableMap(models));
    }

    /** The model with this public id, or {@code null}. */
    public Model find(String id) {
        return models.get(id);
    }

    /** All models, in configuration order. */
    public Collection<Model> models() {
        return models.values();
    }

    /** Every field some route's operator allows beyond the documented request fields ({@code forward_fields}). */
    public java.util.Set<String> operatorAllowedFields() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Model m : models.values()) {
            for (Route r : m.routes()) {
                out.addAll(r.forwarding().allowedFields());
            }
        }
        return java.util.Collections.unmodifiableSet(out);
    }

    /** All upstreams by name. */
    public Map<String, Upstream> upstreams() {
        return upstreams;
    }
}
