package dev.veil.protocol.attestation.tdx;

/**
 * A TDX quote or a piece of collateral that is not well formed. The message starts with the {@link #field() field}
 * that was wrong, e.g. {@code certification data type: expected 6 (QE report certification data), got 5}.
 */
public final class TdxFormatException extends Exception {

    private final String field;

    public TdxFormatException(String field, String message) {
        super(field + ": " + message);
        this.field = field;
    }

    /** The field (or file) that was malformed, as named in Intel's quote layout or PCS response. */
    public String field() {
        return field;
    }
}
