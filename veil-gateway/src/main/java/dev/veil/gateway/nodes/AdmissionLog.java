package dev.veil.gateway.nodes;

import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import io.vertx.core.Future;

/**
 * Where a verified node identity is recorded before the node is admitted: the transparency log. Admission waits for
 * it, so no identity serves a request before it is published; when recording fails the node is not admitted.
 */
@FunctionalInterface
public interface AdmissionLog {

    /** Records that node {@code name} proved identity {@code node}; completes once it is stored. */
    Future<Void> record(String name, VerifiedNode node);
}
