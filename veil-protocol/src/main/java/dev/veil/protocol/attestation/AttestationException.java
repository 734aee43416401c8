package dev.veil.protocol.attestation;

/**
 * Evidence that does not verify. Each reason is its own subclass with a stable {@link #code()}: a verifier fails closed
 * and says why.
 */
public abstract class AttestationException extends Exception {

    protected AttestationException(String message) {
        super(message);
    }

    /** A stable machine-readable reason, e.g. {@code attestation_nonce_mismatch}. */
    public abstract String code();

    /** The evidence's format is not one the policy allows. */
    public static final class FormatNotAllowed extends AttestationException {
        public FormatNotAllowed(String format) {
            super("evidence format '" + format + "' is not allowed by the attestation policy");
        }

        @Override
        public String code() {
            return "attestation_format_not_allowed";
        }
    }

    /** Simulated evidence, and the policy does not explicitly allow it. */
    public static final class SimulatedNotAllowed extends AttestationException {
        public SimulatedNotAllowed() {
            super("the node's evidence is simulated (no hardware TEE); refused unless simulated evidence is explicitly allowed");
        }

        @Override
        public String code() {
            return "attestation_simulated_not_allowed";
        }
    }

    /** No verifier for the format. */
    public static final class UnsupportedFormat extends AttestationException {
        public UnsupportedFormat(String format) {
            super("no verifier for evidence format '" + format + "'");
        }

        @Override
        public String code() {
            return "attestation_unsupported_format";
        }
    }

    /** The raw evidence's signature or structure does not verify. */
    public static final class InvalidEvidence extends AttestationException {
        public InvalidEvidence(String message) {
            super(message);
        }

        @Override
        public String code() {
            return "attestation_invalid_evidence";
        }
    }

    /** The evidence was made for another nonce: stale or replayed. */
    public static final class NonceMismatch extends AttestationException {
        public NonceMismatch() {
            super("the evidence was not made for this verifier's nonce (stale or replayed evidence)");
        }

        @Override
        public String code() {
            return "attestation_nonce_mismatch";
        }
    }

    /** The presented keys are not the ones the evidence binds. */
    public static final class KeyNotBound extends AttestationException {
        public KeyNotBound() {
            super("the node's HPKE key or signing key is not bound into the evidence's report data");
        }

        @Override
        public String code() {
            return "attestation_key_not_bound";
        }
    }

    /** The measured software is not on the allow-list. */
    public static final class UnknownMeasurement extends AttestationException {
        public UnknownMeasurement(String measurement) {
            super("measurement " + measurement + " is not on the attestation policy's allow-list");
        }

        @Override
        public String code() {
            return "attestation_unknown_measurement";
        }
    }

    /** One of the node's GPU reports did not verify (or the node has fewer verified GPUs than the policy requires). */
    public static final class GpuNotVerified extends AttestationException {
        public GpuNotVerified(String check, String reason) {
            super("a GPU of the node did not verify: " + check + ": " + reason);
        }

        @Override
        public String code() {
            return "attestation_gpu_not_verified";
        }
    }
}
