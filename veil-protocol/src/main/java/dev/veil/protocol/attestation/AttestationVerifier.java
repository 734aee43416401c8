package dev.veil.protocol.attestation;

import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.KeyConfig;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Verifies a node's evidence against a policy and the verifier's own nonce, in the order docs/e2ee.md §3 gives, and
 * returns the keys it may then trust. Fails closed with a specific {@link AttestationException}.
 */
public final class AttestationVerifier {

    /**
     * A node whose evidence verified: its HPKE key configuration and its signing key can be trusted, and so can its
     * {@code declaration} (signed by that key), or {@code null} when it declared nothing.
     */
    public record VerifiedNode(String format, String nodeKeyId, KeyConfig keyConfig, byte[] signingKey,
                               String measurement, NodeDeclaration declaration) {
        public boolean simulated() {
            return SimulatedEvidence.FORMAT.equals(format);
        }
    }

    private final Map<String, FormatVerifier> verifiers = new HashMap<>();

    /** A verifier for the simulated format plus {@code hardware} format verifiers. */
    public AttestationVerifier(List<FormatVerifier> hardware) {
        for (FormatVerifier v : hardware) {
            verifiers.put(v.format(), v);
        }
        verifiers.put(SimulatedEvidence.FORMAT, new FormatVerifier() {
            @Override
            public String format() {
                return SimulatedEvidence.FORMAT;
            }

            @Override
            public Attested verify(Evidence evidence) throws AttestationException {
                return SimulatedEvidence.verify(evidence);
            }
        });
    }

    /** A verifier that knows only the simulated format (hardware formats come with docs/attestation.md). */
    public AttestationVerifier() {
        this(List.of());
    }

    public VerifiedNode verify(Evidence evidence, byte[] expectedNonce, AttestationPolicy policy) throws AttestationException {
        if (evidence.simulated() && !policy.allowSimulated()) {
            throw new AttestationException.SimulatedNotAllowed();
        }
        if (!policy.allowsFormat(evidence.format())) {
            throw new AttestationException.FormatNotAllowed(evidence.format());
        }
        FormatVerifier verifier = verifiers.get(evidence.format());
        if (verifier == null) {
            throw new AttestationException.UnsupportedFormat(evidence.format());
        }
        FormatVerifier.Attested attested = verifier.verify(evidence);
        byte[] signed = attested.reportData();
        if (signed.length != ReportData.LENGTH || !MessageDigest.isEqual(
                java.util.Arrays.copyOfRange(signed, 32, 64), expectedNonce)) {
            throw new AttestationException.NonceMismatch();
        }
        byte[] expected = ReportData.compute(evidence.keyConfig(), evidence.signingKey(), expectedNonce);
        if (!MessageDigest.isEqual(signed, expected)) {
            throw new AttestationException.KeyNotBound();
        }
        if (!policy.allowedMeasurements().isEmpty() && !policy.allowedMeasurements().contains(attested.measurement())) {
            throw new AttestationException.UnknownMeasurement(attested.measurement());
        }
        KeyConfig keyConfig;
        try {
            keyConfig = KeyConfig.decode(evidence.keyConfig());
        } catch (E2eeException e) {
            throw new AttestationException.InvalidEvidence("the bound key configuration is not a v1 key: " + e.getMessage());
        }
        if (!keyConfig.nodeKeyId().equals(evidence.nodeKeyId())) {
            throw new AttestationException.KeyNotBound();
        }
        NodeDeclaration declaration = evidence.declaration() == null ? null
                : NodeDeclaration.verify(evidence.declaration(), evidence.signingKey());
        return new VerifiedNode(evidence.format(), keyConfig.nodeKeyId(), keyConfig, evidence.signingKey().clone(),
                attested.measurement(), declaration);
    }
}
