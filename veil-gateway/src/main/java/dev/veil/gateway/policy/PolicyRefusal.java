package dev.veil.gateway.policy;

import dev.veil.gateway.json.JsonWriter;

/**
 * The typed refusal for a request no route may serve: HTTP 403, type {@code privacy_policy_violation}, code
 * {@code no_compliant_route}, with an {@code excluded} list naming each route and the constraint that excluded it.
 * When compliant routes exist but all are out for failing, it is a 503 {@code no_healthy_route} instead: the policy
 * was satisfiable, the providers were not available.
 */
public final class PolicyRefusal {

    public static final String TYPE = "privacy_policy_violation";
    public static final String CODE = "no_compliant_route";

    private final JsonWriter json;

    public PolicyRefusal(JsonWriter json) {
        this.json = json;
    }

    /** The HTTP status for {@code plan}'s refusal. */
    public int status(RoutePlan plan) {
        return plan.onlyHealthExcludedCompliantRoutes() ? 503 : 403;
    }

    /** The error body for a plan without candidates. */
    public byte[] body(RoutePlan plan) {
        boolean health = plan.onlyHealthExcludedCompliantRoutes();
        return json.write(g -> {
            g.writeStartObject();
            g.writeObjectFieldStart("error");
            g.writeStringField("message", health
                    ? "Every route that complies with this request's privacy policy is failing and temporarily out of "
                            + "rotation; retry shortly. Veil never falls back to a weaker route."
                    : "No route of the requested model complies with the effective privacy policy (the stricter of "
                            + "the API key's policy and the request's); see \"excluded\" for which constraint excluded "
                            + "each route. Relax the request's policy or ask for a model with stronger routes.");
            g.writeStringField("type", health ? "upstream_error" : TYPE);
            g.writeNullField("param");
            g.writeStringField("code", health ? "no_healthy_route" : CODE);
            g.writeArrayFieldStart("excluded");
            for (Exclusion e : plan.excluded()) {
                g.writeStartObject();
                g.writeStringField("model", e.model());
                g.writeStringField("route", e.route());
                g.writeStringField("constraint", e.constraint());
                g.writeStringField("reason", e.reason());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndObject();
        });
    }
}
