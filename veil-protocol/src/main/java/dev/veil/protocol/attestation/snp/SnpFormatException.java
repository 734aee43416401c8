package dev.veil.protocol.attestation.snp;

/**
 * SEV-SNP evidence that is not well formed: an attestation report or an AMD certificate extension; names the offending
 * field.
 */
public final class SnpFormatException extends Exception {

    private final String field;

    public SnpFormatException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The field that is wrong, e.g. {@code version}, {@code reserved[0x1eb..0x1ec)} or {@code blSPL}. */
    public String field() {
        return field;
    }
}
