package dev.veil.node;

import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.e2ee.SigningKey;
import java.util.List;

/**
 * Collects one report per GPU of the node for a GPU nonce (docs/e2ee.md §3.2), before the CPU report that binds them
 * is made. Called on a worker thread, so an implementation may block (a driver call, a helper process).
 */
public interface GpuEvidenceSource {

    /** A node without GPUs (or whose GPUs are not attested). */
    GpuEvidenceSource NONE = new GpuEvidenceSource() {
        @Override
        public List<GpuReport> collect(byte[] gpuNonce, SigningKey signingKey) {
            return List.of();
        }

        @Override
        public String describe() {
            return "no GPUs";
        }
    };

    /**
     * The GPUs' reports, each answering {@code gpuNonce}.
     *
     * @param signingKey the node's signing key (simulated reports are signed with it; hardware reports are not)
     * @throws IllegalStateException when a GPU cannot give evidence (the attestation request then fails: a node
     *                               never answers with fewer GPUs than it has)
     */
    List<GpuReport> collect(byte[] gpuNonce, SigningKey signingKey);

    /** What the source is, for the node's start-up line. */
    String describe();
}
