package dev.veil.protocol.transparency;

/**
 * A Merkle proof or tree head that does not verify. The message names the check that failed (sizes, proof length, root
 * mismatch, signature); it never carries log entries.
 */
public final class InvalidProof extends Exception {

    /** A failure described by {@code reason}. */
    public InvalidProof(String reason) {
        super(reason, null, false, false);
    }
}
