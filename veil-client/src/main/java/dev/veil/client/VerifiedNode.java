package dev.veil.client;

import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.protocol.attestation.SimulatedEvidence;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.attestation.VerifiedGpu;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A node whose attestation evidence verified against the client's policy and fresh nonce: requests for {@code model}
 * may be encrypted to {@link #keyConfig()}, and receipts signed by {@link #signingKey()} are trusted.
 *
 * @param model       the public model id it was attested for
 * @param format      the evidence format ({@code sev-snp}, {@code tdx}, or {@code simulated}: no hardware, proves
 *                    nothing)
 * @param nodeKeyId   the node key id (hex of the first 16 bytes of SHA-256(key_config))
 * @param keyConfig   the node's HPKE key configuration
 * @param signingKey  the node's raw 32-byte Ed25519 public signing key
 * @param measurement the attested software measurement (hex)
 * @param attestedAt  when the evidence verified
 * @param declaration what the node declares about itself (name, data policy), signed by its attested key;
 *                    {@code null} when it declared nothing (then a request policy is checked only by the node)
 * @param gpus        the node's GPUs, each verified with the same nonce and bound to the CPU report (empty for a node
 *                    without GPU evidence)
 */
public record VerifiedNode(String model, String format, String nodeKeyId, KeyConfig keyConfig, byte[] signingKey,
                           String measurement, Instant attestedAt, NodeDeclaration declaration, List<VerifiedGpu> gpus) {

    public VerifiedNode {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(keyConfig, "keyConfig");
        signingKey = signingKey.clone();
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
    }

    /** A node without GPU evidence. */
    public VerifiedNode(String model, String format, String nodeKeyId, KeyConfig keyConfig, byte[] signingKey,
                        String measurement, Instant attestedAt, NodeDeclaration declaration) {
        this(model, format, nodeKeyId, keyConfig, signingKey, measurement, attestedAt, declaration, List.of());
    }

    static VerifiedNode of(String model, AttestationVerifier.VerifiedNode verified, Instant now) {
        return new VerifiedNode(model, verified.format(), verified.nodeKeyId(), verified.keyConfig(),
                verified.signingKey(), verified.measurement(), now, verified.declaration(), verified.gpus());
    }

    /** The raw Ed25519 public key (a copy). */
    @Override
    public byte[] signingKey() {
        return signingKey.clone();
    }

    /** Whether the CPU or any GPU evidence is simulated: development only, no hardware, proves nothing. */
    public boolean simulated() {
        return SimulatedEvidence.FORMAT.equals(format) || gpus.stream().anyMatch(VerifiedGpu::simulated);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifiedNode other && model.equals(other.model) && keyConfig.equals(other.keyConfig)
                && java.util.Arrays.equals(signingKey, other.signingKey) && Objects.equals(format, other.format)
                && Objects.equals(measurement, other.measurement) && Objects.equals(attestedAt, other.attestedAt)
                && Objects.equals(declaration, other.declaration) && gpus.equals(other.gpus);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, keyConfig, format, measurement, attestedAt);
    }

    @Override
    public String toString() {
        return "VerifiedNode[model=" + model + ", format=" + format + (simulated() ? " (SIMULATED, no hardware)" : "")
                + ", nodeKeyId=" + nodeKeyId + ", measurement=" + measurement + ", attestedAt=" + attestedAt + "]";
    }
}
