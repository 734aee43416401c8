package dev.veil.protocol.attestation.snp;

import dev.veil.protocol.attestation.Check;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;

/**
 * The report's ECDSA P-384/SHA-384 signature over bytes 0x000–0x29F: R and S are 72-byte little-endian fields holding
 * 48-byte values; reversed to big-endian and trimmed they form the IEEE P1363 signature {@code R || S} that
 * {@code SHA384withECDSAinP1363Format} verifies.
 */
final class ReportSignature {

    /** The size of a P-384 scalar. */
    static final int SCALAR_SIZE = 48;

    private ReportSignature() {
    }

    /** Verifies {@code report}'s signature with the endorsement key {@code key} of {@code kind}. */
    static Check verify(SnpReport report, PublicKey key, SigningKeyKind kind) {
        SnpCheck c = SnpCheck.REPORT_SIGNATURE;
        if (report.signatureAlgorithm() != SnpReport.ECDSA_P384_SHA384) {
            return c.fail("SIGNATURE_ALGO " + report.signatureAlgorithm() + " is not ECDSA P-384 with SHA-384 (1)");
        }
        byte[] p1363 = new byte[2 * SCALAR_SIZE];
        if (!toBigEndian(report.signatureR(), p1363, 0) || !toBigEndian(report.signatureS(), p1363, SCALAR_SIZE)) {
            return c.fail("R or S does not fit in 48 bytes: not a P-384 signature");
        }
        try {
            Signature verifier = Signature.getInstance("SHA384withECDSAinP1363Format");
            verifier.initVerify(key);
            verifier.update(report.signedRegion());
            if (verifier.verify(p1363)) {
                return c.pass("ECDSA P-384/SHA-384 over bytes 0x000-0x29f verifies with the " + kind + " key");
            }
            return c.fail("ECDSA P-384/SHA-384 signature does not verify with the " + kind + " key: the report was "
                    + "altered or signed by another key");
        } catch (GeneralSecurityException | RuntimeException e) {
            return c.fail("ECDSA P-384/SHA-384 signature cannot be checked: " + e.getMessage());
        }
    }

    /** Reverses a 72-byte little-endian value into 48 big-endian bytes; false when the value needs more. */
    static boolean toBigEndian(byte[] littleEndian, byte[] out, int offset) {
        for (int i = SCALAR_SIZE; i < littleEndian.length; i++) {
            if (littleEndian[i] != 0) {
                return false;
            }
        }
        for (int i = 0; i < SCALAR_SIZE; i++) {
            out[offset + i] = littleEndian[SCALAR_SIZE - 1 - i];
        }
        return true;
    }
}
