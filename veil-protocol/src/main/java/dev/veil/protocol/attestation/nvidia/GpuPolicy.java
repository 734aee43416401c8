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
 */
public record GpuPolicy(Set<GpuArchitecture> allowedArchitectures, boolean requireRims,
                        boolean acceptUncheckedRevocation, Duration ocspMaxAge) {

    public static final GpuPolicy DEFAULT = new GpuPolicy(EnumSet.allOf(GpuArchitecture.class), true, false,
            Duration.ofDays(1));

    public GpuPolicy {
        if (allowedArchitectures == null || allowedArchitectures.isEmpty()) {
            throw new IllegalArgumentException("at least one GPU architecture must be allowed");
        }
        allowedArchitectures = Set.copyOf(allowedArchitectures);
        if (ocspMaxAge == null || ocspMaxAge.isNegative()) {
            throw new IllegalArgumentException("ocspMaxAge must be a positive duration");
        }
    }

    public GpuPolicy withAllowedArchitectures(GpuArchitecture first, GpuArchitecture... more) {
        return new GpuPolicy(EnumSet.of(first, more), requireRims, acceptUncheckedRevocation, ocspMaxAge);
    }

    public GpuPolicy withRimsRequired(boolean required) {
        return new GpuPolicy(allowedArchitectures, required, acceptUncheckedRevocation, ocspMaxAge);
    }

    public GpuPolicy withUncheckedRevocationAccepted(boolean accepted) {
        return new GpuPolicy(allowedArchitectures, requireRims, accepted, ocspMaxAge);
    }
}
