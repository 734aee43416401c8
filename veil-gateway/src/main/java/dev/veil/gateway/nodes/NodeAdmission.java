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
}
