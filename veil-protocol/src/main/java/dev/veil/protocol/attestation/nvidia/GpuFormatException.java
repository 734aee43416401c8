package dev.veil.protocol.attestation.nvidia;

/**
 * GPU evidence or collateral that is not well formed: an SPDM message, a certificate, a RIM or an OCSP response. The
 * message starts with the field that was wrong, e.g. {@code NumberOfBlocks: header says 64, record holds 63}.
 */
public final class GpuFormatException extends Exception {

    public GpuFormatException(String field, String message) {
        super(field + ": " + message);
    }
}
