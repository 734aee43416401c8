package dev.veil.node;

import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.SimulatedEvidence;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.SigningKey;

/**
 * The {@code simulated} format: no hardware, signed by the node's own key. It proves nothing about a TEE; verifiers
 * refuse it unless simulated evidence is explicitly allowed, and everything that shows it says so.
 */
public final class SimulatedEvidenceSource implements EvidenceSource {

    private final byte[] measurement;

    /** @param softwareIdentity the declared identity whose SHA-384 is reported as the measurement */
    public SimulatedEvidenceSource(String softwareIdentity) {
        this.measurement = SimulatedEvidence.measure(softwareIdentity);
    }

    @Override
    public Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce, byte[] gpuSetDigest) {
        return SimulatedEvidence.attest(keyConfig, signingKey, nonce, measurement, gpuSetDigest);
    }

    @Override
    public String format() {
        return SimulatedEvidence.FORMAT;
    }
}
