package dev.veil.gateway.policy;

import dev.veil.protocol.policy.Exclusion;
import dev.veil.gateway.routing.Route;
import java.util.List;

/**
 * The routes a request may go to, best first, and why every other route of the requested models was left out. Every
 * candidate complies with the effective policy; retries and fallbacks only ever walk this list.
 */
public record RoutePlan(List<Route> candidates, List<Exclusion> excluded) {

    public RoutePlan {
        candidates = List.copyOf(candidates);
        excluded = List.copyOf(excluded);
    }

    /** Whether some route complied with the policy but is out for failing. */
    public boolean onlyHealthExcludedCompliantRoutes() {
        return candidates.isEmpty() && excluded.stream().anyMatch(Exclusion::health);
    }
}
