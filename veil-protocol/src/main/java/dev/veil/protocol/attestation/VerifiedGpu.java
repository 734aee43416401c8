package dev.veil.protocol.attestation;

/**
 * A GPU whose evidence verified as part of a node's identity.
 *
 * @param format       {@code nvidia-gpu} or {@code simulated-gpu}
 * @param architecture the architecture as verified ({@code hopper}, {@code blackwell}: from the device certificate for
 *                     real GPUs; the collector's label for simulated ones)
 * @param measurement  a digest of the GPU's measurements (lower-case hex)
 * @param simulated    whether no GPU hardware stands behind it
 * @param summary      one line for people: the chip, driver and VBIOS versions where the report has them
 */
public record VerifiedGpu(String format, String architecture, String measurement, boolean simulated, String summary) {
}
