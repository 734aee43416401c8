package dev.veil.node;

import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.SigningKey;

/**
 * Makes attestation evidence binding the node's keys to a verifier's nonce (docs/e2ee.md §3). One implementation per
 * evidence format: {@link SimulatedEvidenceSource} now; hardware formats (SEV-SNP, TDX through configfs-tsm) plug in
 * here. The node calls it on a worker thread, so an implementation may block (file I/O to configfs, a firmware call).
 */
public interface EvidenceSource {

    /** Evidence for {@code nonce} of a node without GPUs. */
    default Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce) {
        return attest(keyConfig, signingKey, nonce, null);
    }

    /**
     * Evidence for {@code nonce} whose report data binds {@code keyConfig}, {@code signingKey}'s public key and the
     * node's GPU reports ({@link dev.veil.protocol.attestation.ReportData#compute(byte[], byte[], byte[], byte[])}).
     *
     * @param nonce        the verifier's 32-byte nonce
     * @param gpuSetDigest {@link dev.veil.protocol.attestation.GpuBinding#digest} of the GPU reports the node will
     *                     serve with this evidence, or null for none
     */
    Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce, byte[] gpuSetDigest);

    /** The evidence format, e.g. {@code simulated}, {@code sev-snp}, {@code tdx}. */
    String format();
}
