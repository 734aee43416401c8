package dev.veil.gateway.policy;

import dev.veil.protocol.policy.RefusalBody;

/**
 * The gateway's answer for a plan without candidates: {@link RefusalBody}'s typed 403 {@code no_compliant_route}
 * (the same body the node seals on the e2ee path and the proxy answers locally), or 503 {@code no_healthy_route}
 * when compliant routes exist but all are out for failing.
 */
public final class PolicyRefusal {

    public static final String TYPE = RefusalBody.TYPE;
    public static final String CODE = RefusalBody.CODE;

    /** The HTTP status for {@code plan}'s refusal. */
    public int status(RoutePlan plan) {
        return RefusalBody.status(plan.excluded(), plan.onlyHealthExcludedCompliantRoutes());
    }

    /** The error body for a plan without candidates. */
    public byte[] body(RoutePlan plan) {
        return RefusalBody.write(plan.excluded(), plan.onlyHealthExcludedCompliantRoutes());
    }
}
