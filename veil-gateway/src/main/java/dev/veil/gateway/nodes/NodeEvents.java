package dev.veil.gateway.nodes;

import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;

/**
 * Hears of changes in which nodes are admitted, for the audit log. Called on an event loop: implementations hand any
 * blocking work to a worker pool and return at once.
 */
public interface NodeEvents {

    /** Hears nothing. */
    NodeEvents NONE = new NodeEvents() {
        @Override
        public void admitted(String name, VerifiedNode node) {
        }

        @Override
        public void dropped(String name, String reason) {
        }
    };

    /** Node {@code name} was admitted, or admitted again with a new identity (it rotated its key). */
    void admitted(String name, VerifiedNode node);

    /** Admitted node {@code name} was dropped; {@code reason} is a fixed phrase with an error code, never a message. */
    void dropped(String name, String reason);
}
