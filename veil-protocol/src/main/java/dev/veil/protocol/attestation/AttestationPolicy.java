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
 * @param allowSimulated      whether {@code simulated} (CPU) and {@code simulated-gpu} evidence may pass at all; false
 *                            unless explicitly set
 * @param minGpus             how many verified GPUs the node's evidence must carry (0: none required; every GPU
 *                            report present must verify whatever this says)
 */
public record AttestationPolicy(Set<String> allowedFormats, Set<String> allowedMeasurements, boolean allowSimulated,
                                int minGpus) {

    /** Hardware formats only, any measurement. */
    public static final AttestationPolicy HARDWARE_ONLY = new AttestationPolicy(Set.of(), Set.of(), false);

    /** A policy that requires no GPUs. */
    public AttestationPolicy(Set<String> allowedFormats, Set<String> allowedMeasurements, boolean allowSimulated) {
        this(allowedFormats, allowedMeasurements, allowSimulated, 0);
    }

    /** This policy requiring at least {@code count} verified GPUs. */
    public AttestationPolicy withMinGpus(int count) {
        return new AttestationPolicy(allowedFormats, allowedMeasurements, allowSimulated, count);
    }

    public AttestationPolicy {
        allowedFormats = allowedFormats == null ? Set.of() : Set.copyOf(allowedFormats);
        allowedMeasurements = allowedMeasurements == null ? Set.of()
                : allowedMeasurements.stream().map(m -> m.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        if (minGpus < 0 || minGpus > GpuReport.MAX_PER_NODE) {
            throw new IllegalArgumentException("minGpus must be between 0 and " + GpuReport.MAX_PER_NODE);
        }
    }

    /** Whether {@code format} may be verified under this policy (simulated needs {@link #allowSimulated}). */
    boolean allowsFormat(String format) {
        if (SimulatedEvidence.FORMAT.equals(format)) {
            return allowSimulated && (allowedFormats.isEmpty() || allowedFormats.contains(format));
        }
        return allowedFormats.isEmpty() || allowedFormats.contains(format);
    }
}
