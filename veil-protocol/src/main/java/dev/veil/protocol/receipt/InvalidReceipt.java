package dev.veil.protocol.receipt;

/**
 * A gateway receipt that does not verify: missing, malformed, signed by another key, not matching the request body
 * that was sent or the request id the gateway named. The message names the check; it never carries request content.
 */
public final class InvalidReceipt extends Exception {

    /** A failure described by {@code reason}. */
    public InvalidReceipt(String reason) {
        super(reason, null, false, false);
    }
}
