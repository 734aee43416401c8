package dev.veil.protocol.attestation.dstack;

import dev.veil.protocol.attestation.nvidia.GpuEvidenceList;
import dev.veil.protocol.attestation.tdx.TdxEvent;
import java.util.List;

/**
 * One attestation of a hosted dstack-shape report (one TEE instance serving a model): what the provider presents,
 * nothing of it verified yet. See {@link DstackReport} for where it comes from and {@link DstackVerifier} for what is
 * checked.
 *
 * @param modelName         the model the provider says this instance serves, or null (informational)
 * @param intelQuote        the raw TDX quote
 * @param eventLog          the TD's event log, or null when the report has none
 * @param signingAlgo       {@code ecdsa} (an Ethereum-style 20-byte address of a secp256k1 key) or {@code ed25519}
 *                          (the 32-byte public key itself)
 * @param signingAddress    the signing address bytes the quote's report data must bind
 * @param signingPublicKey  the signing public key as presented (64/65-byte secp256k1 point, or 32-byte Ed25519), or
 *                          null
 * @param tlsCertFingerprint the TLS certificate fingerprint bound with the address, or null
 * @param declaredNonce     the nonce the provider says it answered (hex), or null; informational only
 * @param gpus              the GPU evidence of {@code nvidia_payload}, or null when the report has none
 * @param gpuPayloadNonce   the {@code nonce} field of {@code nvidia_payload} (hex), or null; informational only
 * @param declaredGpuCount  {@code num_gpus} of the report's {@code vm_config}, or -1 when not declared
 */
public record DstackAttestation(String modelName, byte[] intelQuote, List<TdxEvent> eventLog, String signingAlgo,
                                byte[] signingAddress, byte[] signingPublicKey, byte[] tlsCertFingerprint,
                                String declaredNonce, List<GpuEvidenceList.Entry> gpus, String gpuPayloadNonce,
                                int declaredGpuCount) {

    public DstackAttestation {
        eventLog = eventLog == null ? null : List.copyOf(eventLog);
        gpus = gpus == null ? null : List.copyOf(gpus);
    }
}
