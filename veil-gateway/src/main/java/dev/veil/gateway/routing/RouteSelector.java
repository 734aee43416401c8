package dev.veil.gateway.routing;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** Picks one of a model's routes, weighted by each route's weight. */
public final class RouteSelector {

    /** Chooses a route of {@code model} at random in proportion to the weights. */
    public Route choose(Model model) {
        List<Route> routes = model.routes();
        if (routes.size() == 1) {
            return routes.get(0);
        }
        int total = 0;
        for (Route route : routes) {
            total += route.weight();
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (Route route : routes) {
            pick -= route.weight();
            if (pick < 0) {
                return route;
            }
        }
        return routes.get(routes.size() - 1);
    }
}
