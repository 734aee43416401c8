/**
 * NVIDIA GPU confidential-computing evidence verification (Hopper H100/H200, Blackwell B200):
 * {@link dev.veil.protocol.attestation.nvidia.SpdmReport} parses the SPDM 1.1 GET_MEASUREMENTS request and response,
 * {@link dev.veil.protocol.attestation.nvidia.Rim} NVIDIA's signed reference integrity manifests,
 * {@link dev.veil.protocol.attestation.nvidia.OcspCollateral} the operator's OCSP responses, and
 * {@link dev.veil.protocol.attestation.nvidia.GpuVerifier} checks them against the pinned
 * {@link dev.veil.protocol.attestation.nvidia.NvidiaRoots} and a {@link dev.veil.protocol.attestation.nvidia.GpuPolicy},
 * naming each check in a {@link dev.veil.protocol.attestation.Verdict}. Layouts and the measurement comparison follow
 * NVIDIA's local GPU verifier (nvtrust) and attestation SDK.
 */
package dev.veil.protocol.attestation.nvidia;
