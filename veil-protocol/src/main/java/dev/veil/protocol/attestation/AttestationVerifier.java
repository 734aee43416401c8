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
                               String measurement, NodeDeclaration declaration, List<VerifiedGpu> gpus) {

        public VerifiedNode {
            gpus = gpus == null ? List.of() : List.copyOf(gpus);
        }

        /** A node without GPUs. */
        public VerifiedNode(String format, String nodeKeyId, KeyConfig keyConfig, byte[] signingKey,
                            String measurement, NodeDeclaration declaration) {
            this(format, nodeKeyId, keyConfig, signingKey, measurement, declaration, List.of());
        }

        /** Whether the CPU evidence or any GPU's is simulated (no hardware stands behind it). */
        public boolean simulated() {
            return SimulatedEvidence.FORMAT.equals(format) || gpus.stream().anyMatch(VerifiedGpu::simulated);
        }
    }

    private final Map<String, FormatVerifier> verifiers = new HashMap<>();
    private final Map<String, GpuReportVerifier> gpuVerifiers = new HashMap<>();

    /** A verifier for the simulated format plus {@code hardware} format verifiers; hardware GPU reports are refused. */
    public AttestationVerifier(List<FormatVerifier> hardware) {
        this(hardware, List.of());
    }

    /**
     * A verifier for the simulated formats plus {@code hardware} CPU format verifiers and {@code gpus} GPU report
     * verifiers ({@link HardwareVerifiers#nvidiaGpus}). A GPU report of a format without a verifier is refused.
     */
    public AttestationVerifier(List<FormatVerifier> hardware, List<GpuReportVerifier> gpus) {
        for (FormatVerifier v : hardware) {
            verifiers.put(v.format(), v);
        }
        for (GpuReportVerifier v : gpus) {
            gpuVerifiers.put(v.format(), v);
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
        byte[] expected = ReportData.compute(evidence.keyConfig(), evidence.signingKey(), expectedNonce,
                GpuBinding.digest(evidence.gpus()));
        if (!MessageDigest.isEqual(signed, expected)) {
            // Keys or GPU reports other than the ones the hardware signed: either is a substitution.
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
        List<VerifiedGpu> gpus = verifyGpus(evidence, expectedNonce, policy);
        NodeDeclaration declaration = evidence.declaration() == null ? null
                : NodeDeclaration.verify(evidence.declaration(), evidence.signingKey());
        return new VerifiedNode(evidence.format(), keyConfig.nodeKeyId(), keyConfig, evidence.signingKey().clone(),
                attested.measurement(), declaration, gpus);
    }

    /**
     * Every GPU report must verify for the GPU nonce of this verification (their set is already known to be the one
     * the CPU report binds); a simulated one only when the policy allows simulated evidence.
     */
    private List<VerifiedGpu> verifyGpus(Evidence evidence, byte[] nonce, AttestationPolicy policy)
            throws AttestationException {
        byte[] gpuNonce = GpuBinding.gpuNonce(nonce);
        List<VerifiedGpu> out = new java.util.ArrayList<>(evidence.gpus().size());
        int index = 0;
        for (GpuReport gpu : evidence.gpus()) {
            String which = "GPU " + index++ + " (" + gpu.format() + ")";
            if (gpu.simulated()) {
                if (!policy.allowSimulated()) {
                    throw new AttestationException.GpuNotVerified(which,
                            "simulated GPU evidence (no hardware); refused unless simulated evidence is explicitly allowed");
                }
            }
            GpuReportVerifier verifier = gpuVerifiers.get(gpu.format());
            if (verifier == null && !gpu.simulated()) {
                throw new AttestationException.GpuNotVerified(which, "no verifier for this GPU evidence format here"
                        + " (NVIDIA GPU evidence needs the verifier configured with the operator's GPU collateral)");
            }
            try {
                out.add(gpu.simulated() ? SimulatedGpuEvidence.verify(gpu, evidence.signingKey(), gpuNonce)
                        : verifier.verify(gpu, gpuNonce));
            } catch (AttestationException e) {
                throw new AttestationException.GpuNotVerified(which, e.getMessage());
            }
        }
        if (out.size() < policy.minGpus()) {
            throw new AttestationException.GpuNotVerified("GPU count", "the policy requires " + policy.minGpus()
                    + " verified GPUs and the evidence carries " + out.size());
        }
        return out;
    }
}
