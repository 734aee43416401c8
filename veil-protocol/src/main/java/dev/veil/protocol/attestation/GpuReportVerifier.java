package dev.veil.protocol.attestation;

/**
 * Verifies one hardware GPU report of a node's evidence (the {@code nvidia-gpu} format: see
 * {@link HardwareVerifiers#nvidiaGpus}). Simulated GPU reports are verified by {@link AttestationVerifier} itself.
 */
public interface GpuReportVerifier {

    /** The format this verifier checks, e.g. {@code nvidia-gpu}. */
    String format();

    /**
     * Verifies {@code gpu}: its signature, chain to the pinned root, the nonce {@code expectedGpuNonce}, its
     * measurements against the operator's reference values, per the verifier's policy.
     *
     * @throws AttestationException naming the failed check
     */
    VerifiedGpu verify(GpuReport gpu, byte[] expectedGpuNonce) throws AttestationException;
}
