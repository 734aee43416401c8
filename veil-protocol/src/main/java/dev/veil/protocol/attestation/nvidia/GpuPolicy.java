package dev.veil.protocol.attestation.nvidia;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * What verified GPU evidence must additionally satisfy. {@link #DEFAULT}: Hopper or Blackwell, driver and VBIOS RIMs
 * required, OCSP collateral required for every certificate that NVIDIA's OCSP service covers.
 *
 * @param allowedArchitectures       architectures accepted (non-empty)
 * @param requireRims                whether the measurements must be compared with signed RIMs (false only to check
 *                                   the evidence alone; the verdict then says the measurements were NOT compared)
 * @param acceptUncheckedRevocation  whether evidence may pass without OCSP collateral (the verdict then says
 *                                   revocation was NOT checked); false unless explicitly set
 * @param ocspMaxAge                 how old an OCSP response without nextUpdate may be
 * @param minDriverVersion           the oldest driver accepted (e.g. {@code 550.90.07}, compared number by number),
 *                                   or null for any
 * @param minVbiosVersion            the oldest VBIOS accepted (e.g. {@code 96.00.9F.00.04}, compared field by field
 *                                   as hex), or null for any
 */
public record GpuPolicy(Set<GpuArchitecture> allowedArchitectures, boolean requireRims,
                        boolean acceptUncheckedRevocation, Duration ocspMaxAge, String minDriverVersion,
                        String minVbiosVersion) {

    public static final GpuPolicy DEFAULT = new GpuPolicy(EnumSet.allOf(GpuArchitecture.class), true, false,
            Duration.ofDays(1));

    /** A policy without minimum versions. */
    public GpuPolicy(Set<GpuArchitecture> allowedArchitectures, boolean requireRims, boolean acceptUncheckedRevocation,
                     Duration ocspMaxAge) {
        this(allowedArchitectures, requireRims, acceptUncheckedRevocation, ocspMaxAge, null, null);
    }

    public GpuPolicy {
        if (allowedArchitectures == null || allowedArchitectures.isEmpty()) {
            throw new IllegalArgumentException("at least one GPU architecture must be allowed");
        }
        allowedArchitectures = Set.copyOf(allowedArchitectures);
        if (ocspMaxAge == null || ocspMaxAge.isNegative()) {
            throw new IllegalArgumentException("ocspMaxAge must be a positive duration");
        }
        if (minDriverVersion != null) {
            GpuVersions.driver(minDriverVersion);
        }
        if (minVbiosVersion != null) {
            GpuVersions.vbios(minVbiosVersion);
        }
    }

    /** This policy with minimum driver and VBIOS versions (either may be null for any). */
    public GpuPolicy withMinimumVersions(String driver, String vbios) {
        return new GpuPolicy(allowedArchitectures, requireRims, acceptUncheckedRevocation, ocspMaxAge, driver, vbios);
    }

    public GpuPolicy withAllowedArchitectures(GpuArchitecture first, GpuArchitecture... more) {
        return new GpuPolicy(EnumSet.of(first, more), requireRims, acceptUncheckedRevocation, ocspMaxAge,
                minDriverVersion, minVbiosVersion);
    }

    public GpuPolicy withRimsRequired(boolean required) {
        return new GpuPolicy(allowedArchitectures, required, acceptUncheckedRevocation, ocspMaxAge, minDriverVersion,
                minVbiosVersion);
    }

    public GpuPolicy withUncheckedRevocationAccepted(boolean accepted) {
        return new GpuPolicy(allowedArchitectures, requireRims, accepted, ocspMaxAge, minDriverVersion,
                minVbiosVersion);
    }
}
