package dev.veil.gateway.routing;

import dev.veil.protocol.PrivacyMode;
import java.util.List;

/**
 * A public model id and the routes that can serve it.
 *
 * @param id          the id clients send as {@code model}
 * @param ownedBy     shown as {@code owned_by} in {@code /v1/models}
 * @param description optional text shown in {@code /v1/models}, e.g. to label a demo
 * @param created     seconds since the epoch, shown as {@code created}
 * @param routes      at least one route
 */
public record Model(String id, String ownedBy, String description, long created, List<Route> routes) {

    public Model {
        routes = List.copyOf(routes);
        if (routes.isEmpty()) {
            throw new IllegalArgumentException("a model needs at least one route");
        }
    }

    /** The strongest mode that every route guarantees: a request may land on any of them. */
    public PrivacyMode mode() {
        PrivacyMode weakest = PrivacyMode.E2EE;
        for (Route route : routes) {
            if (route.mode().compareTo(weakest) < 0) {
                weakest = route.mode();
            }
        }
        return weakest;
    }
}
