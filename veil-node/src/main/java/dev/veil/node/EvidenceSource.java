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

    /**
     * Evidence for {@code nonce} whose report data binds {@code keyConfig} and {@code signingKey}'s public key.
     *
     * @param nonce the verifier's 32-byte nonce
     */
    Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce);

    /** The evidence format, e.g. {@code simulated}, {@code sev-snp}, {@code tdx}. */
    String format();
}
