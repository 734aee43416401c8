package dev.veil.protocol.attestation.tdx;

/** A check that did not hold; the message says why. */
final class CheckFailed extends Exception {

    CheckFailed(String message) {
        super(message);
    }
}
