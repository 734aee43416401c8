package dev.veil.protocol.attestation.dstack;

/** A dstack-shape attestation report that cannot be read: the message names the field and what was wrong. */
public final class DstackFormatException extends Exception {

    public DstackFormatException(String field, String problem) {
        super(field + ": " + problem, null, false, false);
    }
}
