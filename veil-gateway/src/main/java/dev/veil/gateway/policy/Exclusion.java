package dev.veil.gateway.policy;

/**
 * Why a route was not a candidate for a request.
 *
 * @param model      the public model id
 * @param route      the route name
 * @param constraint the field that excluded it, e.g. {@code key.min_mode}, {@code provider.zdr}, or
 *                   {@code circuit_open} when the route is out for failing
 * @param reason     a sentence for humans; never quotes request content
 */
public record Exclusion(String model, String route, String constraint, String reason) {

    /** The constraint name used for routes taken out by their circuit breaker. */
    public static final String CIRCUIT_OPEN = "circuit_open";

    /** Whether the exclusion is about health rather than policy. */
    public boolean health() {
        return CIRCUIT_OPEN.equals(constraint);
    }
}
