package dev.veil.gateway.policy;

import dev.veil.gateway.nodes.NodeAdmission;
import dev.veil.gateway.routing.Model;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.gateway.routing.RouteStats;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.policy.Constraint;
import dev.veil.protocol.policy.Constraints;
import dev.veil.protocol.policy.Exclusion;
import dev.veil.protocol.policy.RequestPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Plans where a request may go. The effective policy is the conjunction of the key's constraints and the request's:
 * a route is a candidate only if it meets every one of them, so the result is always at least as strict as either.
 * Among compliant, healthy routes it ranks by {@code provider.order}, then by {@code provider.sort} (price, latency,
 * throughput from route statistics), and otherwise by weighted random choice (load balancing). Fallback models from
 * {@code models} follow the primary model's routes, held to the same policy.
 */
public final class RoutePlanner {

    /** The constraint that excludes a route whose upstream does not speak the request's endpoint. */
    public static final String ENDPOINT = "endpoint";

    private final ModelCatalog catalog;
    private final RouteHealth health;
    private final NodeAdmission nodes;

    public RoutePlanner(ModelCatalog catalog, RouteHealth health, NodeAdmission nodes) {
        this.catalog = catalog;
        this.health = health;
        this.nodes = nodes;
    }

    /** A planner for a gateway without nodes. */
    public RoutePlanner(ModelCatalog catalog, RouteHealth health) {
        this(catalog, health, NodeAdmission.NONE);
    }

    /** Plans a plaintext request for {@code primary} (a model that exists) under the key's and the request's policy. */
    public RoutePlan plan(Model primary, KeyPolicy key, RequestPolicy request) {
        return plan(primary, key, request, null);
    }

    /** As {@link #plan(Model, KeyPolicy, RequestPolicy, String, String)} for the chat API family. */
    public RoutePlan plan(Model primary, KeyPolicy key, RequestPolicy request, String e2eeNodeKey) {
        return plan(primary, key, request, e2eeNodeKey, dev.veil.protocol.api.Endpoint.API_CHAT);
    }

    private static boolean serves(Route route, String api, String viaApi) {
        if (route.upstream().speaks(api)) {
            return true;
        }
        // Translation happens on the plain path only: a node route gets requests in its own API.
        return viaApi != null && !route.node() && route.upstream().speaks(viaApi);
    }

    /** Whether some route of {@code model} can serve a request of {@code api}, natively or through {@code viaApi}. */
    public static boolean serves(Model model, String api, String viaApi) {
        for (Route route : model.routes()) {
            if (serves(route, api, viaApi)) {
                return true;
            }
        }
        return false;
    }

    /** Whether some route of {@code model} has an upstream that speaks {@code api} natively. */
    public static boolean speaks(Model model, String api) {
        for (Route route : model.routes()) {
            if (route.upstream().speaks(api)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Plans for {@code primary} under the key's and the request's policy.
     *
     * @param e2eeNodeKey for an e2ee request, the node key id it is encrypted to: only admitted node routes holding
     *                    that key qualify; {@code null} for a plaintext request, for which node routes count as
     *                    {@code tee} (the gateway sees the plaintext)
     * @param api         the API family of the request's endpoint: routes whose upstream does not speak it are
     *                    excluded (constraint {@code endpoint})
     */
    public RoutePlan plan(Model primary, KeyPolicy key, RequestPolicy request, String e2eeNodeKey, String api) {
        return plan(primary, key, request, e2eeNodeKey, api, null);
    }

    /**
     * As above; with {@code viaApi}, a route whose upstream speaks that API family instead qualifies too (Veil
     * translates the request for it).
     */
    public RoutePlan plan(Model primary, KeyPolicy key, RequestPolicy request, String e2eeNodeKey, String api,
                          String viaApi) {
        if (e2eeNodeKey == null && primary.routes().size() == 1 && unconstrained(key, request)
                && serves(primary.routes().get(0), api, viaApi)) {
            // The common case on the hot path: one route, nothing asked of it. Same outcome as below, no allocation
            // of constraint lists; anything unusual (a node not admitted, an open breaker) takes the full path.
            Route only = nodes.teeVerified(primary.routes().get(0).forPlaintext());
            if (only != null && nodes.admitted(only) && (!only.node() || nodes.declarationMismatch(only) == null)
                    && health.breaker(only).available()) {
                return new RoutePlan(List.of(only), List.of());
            }
        }
        List<Constraint> constraints = new ArrayList<>(KeyConstraints.of(key));
        constraints.addAll(request.constraints());
        List<Route> candidates = new ArrayList<>();
        List<Exclusion> excluded = new ArrayList<>();

        List<Model> models = new ArrayList<>();
        models.add(primary);
        if (request.allowFallbacks()) {
            Set<String> seen = new LinkedHashSet<>(List.of(primary.id()));
            for (String id : request.fallbackModels()) {
                Model fallback = catalog.find(id);
                if (fallback == null) {
                    excluded.add(new Exclusion(null, null, "models", "a fallback model in \"models\" does not exist on this gateway"));
                } else if (seen.add(id)) {
                    models.add(fallback);
                }
            }
        }
        for (Model model : models) {
            List<Route> compliant = new ArrayList<>();
            for (Route declared : model.routes()) {
                Route route = nodes.teeVerified(e2eeNodeKey == null ? declared.forPlaintext() : declared);
                if (route == null) {
                    excluded.add(new Exclusion(model.id(), declared.name(), Exclusion.TEE_NOT_ATTESTED,
                            "the route's provider attestation does not verify right now, so its TEE claim does not"
                                    + " hold and the operator takes it out (on_failure: exclude)"));
                    continue;
                }
                Exclusion why = serves(route, api, viaApi) ? exclusion(model, route, key, constraints)
                        : new Exclusion(model.id(), route.name(), ENDPOINT,
                                "the route's upstream does not speak this endpoint's API (" + api + ")");
                if (why == null && e2eeNodeKey != null && !(route.node() && nodes.holdsKey(route, e2eeNodeKey))) {
                    why = new Exclusion(model.id(), route.name(), Exclusion.E2EE_NODE_KEY, route.node()
                            ? "the route's node does not hold the key this request is encrypted to"
                            : "the route is not a Veil node and cannot open an e2ee request");
                }
                if (why != null) {
                    excluded.add(why);
                } else if (!nodes.admitted(route)) {
                    excluded.add(new Exclusion(model.id(), route.name(), Exclusion.NODE_NOT_ATTESTED,
                            "the route's node has no verified attestation right now"));
                } else if (route.node() && nodes.declarationMismatch(route) != null) {
                    excluded.add(new Exclusion(model.id(), route.name(), Exclusion.NODE_DECLARATION,
                            nodes.declarationMismatch(route)));
                } else if (!health.breaker(route).available()) {
                    excluded.add(new Exclusion(model.id(), route.name(), Exclusion.CIRCUIT_OPEN,
                            "route is failing and taken out until its circuit breaker probes it again"));
                } else {
                    compliant.add(route);
                }
            }
            List<Route> ranked = rank(compliant, request);
            if (!request.allowFallbacks()) {
                // OpenRouter semantics: only the ordered routes, or else only the first choice; no other fallbacks.
                candidates.addAll(request.order().isEmpty() ? ranked.subList(0, Math.min(1, ranked.size()))
                        : ranked.stream().filter(r -> Constraints.matches(r, Set.copyOf(request.order()))).toList());
                break;
            }
            candidates.addAll(ranked);
        }
        return new RoutePlan(candidates, excluded);
    }

    private static boolean unconstrained(KeyPolicy key, RequestPolicy request) {
        return key.minMode() == dev.veil.protocol.PrivacyMode.ANONYMIZED && key.allowedModels().isEmpty()
                && key.allowedRoutes().isEmpty() && key.jurisdictions().isEmpty()
                && request.constraints().isEmpty() && request.fallbackModels().isEmpty() && request.order().isEmpty()
                && request.allowFallbacks();
    }

    /** The routes of {@code model} this key may be served by, for {@code /v1/models}. */
    public List<Route> routesFor(Model model, KeyPolicy key) {
        List<Constraint> constraints = KeyConstraints.of(key);
        // As planned now: a provider-attested route shows the mode its verified claim earns, or is left out.
        return model.routes().stream().map(nodes::teeVerified)
                .filter(r -> r != null && exclusion(model, r, key, constraints) == null).toList();
    }

    private static Exclusion exclusion(Model model, Route route, KeyPolicy key, List<Constraint> constraints) {
        if (!key.allowsModel(model.id())) {
            return new Exclusion(model.id(), route.name(), "key.allowed_models", "the API key may not use this model");
        }
        return Constraints.firstViolation(model.id(), route, constraints);
    }

    private List<Route> rank(List<Route> routes, RequestPolicy request) {
        List<Route> ordered = new ArrayList<>(routes.size());
        List<Route> rest = new ArrayList<>(routes);
        for (String name : request.order()) {
            for (Route route : List.copyOf(rest)) {
                if (route.name().equals(name) || route.upstream().name().equals(name)) {
                    ordered.add(route);
                    rest.remove(route);
                }
            }
        }
        if (request.sort() == null) {
            ordered.addAll(weightedShuffle(rest));
        } else {
            rest.sort(comparator(request.sort()));
            ordered.addAll(rest);
        }
        return ordered;
    }

    private Comparator<Route> comparator(RequestPolicy.Sort sort) {
        return switch (sort) {
            case PRICE -> Comparator.comparingDouble(r -> r.price().inputPerMillion() + r.price().outputPerMillion());
            case LATENCY -> Comparator.comparingDouble(r -> orLast(health.stats(r).latencyMillis()));
            case THROUGHPUT -> Comparator.comparingDouble(r -> -orZero(health.stats(r).tokensPerSecond()));
        };
    }

    private static double orLast(double value) {
        return Double.isNaN(value) ? Double.MAX_VALUE : value;
    }

    private static double orZero(double value) {
        return Double.isNaN(value) ? 0 : value;
    }

    /** Orders routes so that each comes first with probability proportional to its weight (Efraimidis–Spirakis). */
    private static List<Route> weightedShuffle(List<Route> routes) {
        if (routes.size() <= 1) {
            return routes;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        record Keyed(Route route, double key) {
        }
        List<Keyed> keyed = new ArrayList<>(routes.size());
        for (Route route : routes) {
            keyed.add(new Keyed(route, Math.pow(random.nextDouble(), 1.0 / route.weight())));
        }
        keyed.sort(Comparator.comparingDouble(Keyed::key).reversed());
        return keyed.stream().map(Keyed::route).toList();
    }

    /** Exposed for tests of the statistics-driven sorts. */
    RouteStats statsOf(Route route) {
        return health.stats(route);
    }
}
