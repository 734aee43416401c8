package dev.veil.gateway.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A public model Veil serves ({@code models:} in YAML), reachable through one or more routes.
 *
 * @param id          the public model id clients send as {@code model}; unique
 * @param ownedBy     shown as {@code owned_by} in {@code GET /v1/models}; default {@value #DEFAULT_OWNED_BY}
 * @param description free text; optional
 * @param routes      the ways to serve this model, at least one
 */
public record ModelConfig(String id, String ownedBy, String description, List<RouteConfig> routes) {

    /** Default {@code owned_by}. */
    public static final String DEFAULT_OWNED_BY = "veil";

    /** Applies the default {@code ownedBy} and makes {@code routes} immutable. */
    public ModelConfig {
        ownedBy = ownedBy == null ? DEFAULT_OWNED_BY : ownedBy;
        routes = routes == null ? List.of() : List.copyOf(routes);
    }

    /** The route with this name, if any. */
    public Optional<RouteConfig> route(String name) {
        return routes.stream().filter(r -> Objects.equals(r.name(), name)).findFirst();
    }
}
