package dev.veil.protocol.attestation;

/** Verifies one evidence format's raw report (signature and chain) and says what it attests. */
public interface FormatVerifier {

    /** What verified evidence attests: the report data signed into it and the software measurement. */
    record Attested(byte[] reportData, String measurement) {
    }

    String format();

    Attested verify(Evidence evidence) throws AttestationException;
}
