package dev.veil.protocol.attestation;

import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What evidence a verifier accepts.
 *
 * @param allowedFormats      formats accepted ({@code sev-snp}, {@code tdx}, {@code simulated}); empty = every
 *                            hardware format
 * @param allowedMeasurements measurements (lower-case hex) accepted; empty = any
 * @param allowSimulated      whether {@code simulated} evidence may pass at all; false unless explicitly set
 */
public record AttestationPolicy(Set<String> allowedFormats, Set<String> allowedMeasurements, boolean allowSimulated) {

    /** Hardware formats only, any measurement. */
    public static final AttestationPolicy HARDWARE_ONLY = new AttestationPolicy(Set.of(), Set.of(), false);

    public AttestationPolicy {
        allowedFormats = allowedFormats == null ? Set.of() : Set.copyOf(allowedFormats);
        allowedMeasurements = allowedMeasurements == null ? Set.of()
                : allowedMeasurements.stream().map(m -> m.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Whether {@code format} may be verified under this policy (simulated needs {@link #allowSimulated}). */
    boolean allowsFormat(String format) {
        if (SimulatedEvidence.FORMAT.equals(format)) {
            return allowSimulated && (allowedFormats.isEmpty() || allowedFormats.contains(format));
        }
        return allowedFormats.isEmpty() || allowedFormats.contains(format);
    }
}
