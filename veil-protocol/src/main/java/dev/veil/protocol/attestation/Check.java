package dev.veil.protocol.attestation;

/**
 * One step of verifying hardware evidence, for the human-readable verdict of {@code veil attest verify}.
 *
 * @param name   what was checked, e.g. {@code report signature (VCEK, ECDSA P-384)}
 * @param passed whether it held
 * @param detail why it passed or, when it failed, what was wrong (never secret material)
 */
public record Check(String name, boolean passed, String detail) {

    public static Check pass(String name, String detail) {
        return new Check(name, true, detail);
    }

    public static Check fail(String name, String detail) {
        return new Check(name, false, detail);
    }
}
