package dev.veil.gateway.nodes;

import dev.veil.gateway.routing.Route;

/** Whether a node route may take requests now: its node's evidence verified against the operator's policy. */
public interface NodeAdmission {

    /** Admits every node route; for gateways without nodes and for tests of plain routing. */
    NodeAdmission NONE = new NodeAdmission() {
        @Override
        public boolean admitted(Route route) {
            return !route.node();
        }

        @Override
        public boolean holdsKey(Route route, String nodeKeyId) {
            return false;
        }
    };

    /** True for plain routes; for node routes, true while the node's attestation verifies for the route's TEE. */
    boolean admitted(Route route);

    /** Whether the route's admitted node holds the HPKE key with this node key id. */
    boolean holdsKey(Route route, String nodeKeyId);

    /**
     * Why the route's admitted node does not back what the route declares (its signed declaration names another
     * jurisdiction, or does not promise the route's training or retention), or {@code null} when it does or declared
     * nothing. The route's declaration is the operator's word; the node's is signed by attested software, so a route
     * may claim no more than its node.
     */
    default String declarationMismatch(Route route) {
        return null;
    }

    /**
     * The route as far as its TEE claim is verified now: the route itself when its claim is the operator's word only
     * or verified, the route without its TEE claim when its provider's attestation fails and the operator chose to
     * downgrade, or {@code null} when the route must not be served ({@code Exclusion.TEE_NOT_ATTESTED}).
     */
    default Route teeVerified(Route route) {
        return route;
    }
}
