package dev.veil.protocol.policy;

/**
 * Why a route was not a candidate for a request.
 *
 * @param model      the public model id
 * @param route      the route name (on the e2ee path, the node's declared name; {@code null} when it has none)
 * @param constraint the field that excluded it, e.g. {@code key.min_mode}, {@code provider.zdr}, or
 *                   {@code circuit_open} when the route is out for failing
 * @param reason     a sentence for humans; never quotes request content
 */
public record Exclusion(String model, String route, String constraint, String reason) {

    /** The constraint name used for routes taken out by their circuit breaker. */
    public static final String CIRCUIT_OPEN = "circuit_open";
    /** The constraint name used for node routes whose node's attestation does not verify right now. */
    public static final String NODE_NOT_ATTESTED = "node_not_attested";
    /** The constraint name used for node routes that declare more than their node's signed declaration backs. */
    public static final String NODE_DECLARATION = "node_declaration";
    /**
     * The constraint name used for routes whose upstream's TEE claim is checked by its provider's attestation
     * ({@code upstreams[].attestation}) when that attestation does not verify right now and the operator chose to take
     * the route out rather than serve it without the claim.
     */
    public static final String TEE_NOT_ATTESTED = "tee_not_attested";
    /** The constraint name used for routes that cannot serve an e2ee request encrypted to a given node key. */
    public static final String E2EE_NODE_KEY = "e2ee.node_key";

    /** Whether the exclusion is about health rather than policy. */
    public boolean health() {
        return CIRCUIT_OPEN.equals(constraint) || NODE_NOT_ATTESTED.equals(constraint)
                || TEE_NOT_ATTESTED.equals(constraint);
    }
}
