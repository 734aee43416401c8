package dev.veil.protocol.attestation;

import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The {@code simulated} evidence format, for development without TEE hardware:
 * {@code "VEILSIM1" || measurement(48) || report_data(64) || Ed25519 signature(64)} signed by the node's own signing
 * key. It proves nothing about hardware; verifiers refuse it unless simulated evidence is explicitly allowed.
 */
public final class SimulatedEvidence {

    public static final String FORMAT = "simulated";
    static final byte[] MAGIC = "VEILSIM1".getBytes(StandardCharsets.US_ASCII);
    static final int LENGTH = 8 + 48 + 64 + 64;

    private SimulatedEvidence() {
    }

    /** The measurement a simulated node reports: SHA-384 of its declared software identity. */
    public static byte[] measure(String softwareIdentity) {
        try {
            return MessageDigest.getInstance("SHA-384").digest(softwareIdentity.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes evidence for {@code nonce} binding {@code keyConfig} and {@code signingKey}. */
    public static Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce, byte[] measurement) {
        return attest(keyConfig, signingKey, nonce, measurement, null);
    }

    /**
     * Makes evidence for {@code nonce} binding {@code keyConfig}, {@code signingKey} and the GPU reports whose
     * {@link GpuBinding#digest} is {@code gpuSetDigest} (null for none).
     */
    public static Evidence attest(KeyConfig keyConfig, SigningKey signingKey, byte[] nonce, byte[] measurement,
                                  byte[] gpuSetDigest) {
        byte[] reportData = ReportData.compute(keyConfig.encoded(), signingKey.publicKey(), nonce, gpuSetDigest);
        byte[] body = new byte[8 + 48 + 64];
        System.arraycopy(MAGIC, 0, body, 0, 8);
        System.arraycopy(measurement, 0, body, 8, 48);
        System.arraycopy(reportData, 0, body, 56, 64);
        byte[] raw = Arrays.copyOf(body, LENGTH);
        System.arraycopy(signingKey.sign(body), 0, raw, body.length, 64);
        return new Evidence(FORMAT, keyConfig.nodeKeyId(), keyConfig.encoded(), signingKey.publicKey(), nonce.clone(),
                reportData, raw, E2ee.hex(measurement));
    }

    /** Verifies the raw simulated report and returns what it attests. */
    static FormatVerifier.Attested verify(Evidence evidence) throws AttestationException {
        byte[] raw = evidence.raw();
        if (raw.length != LENGTH || !Arrays.equals(Arrays.copyOf(raw, 8), MAGIC)) {
            throw new AttestationException.InvalidEvidence("simulated evidence is not VEILSIM1-shaped");
        }
        byte[] body = Arrays.copyOf(raw, 8 + 48 + 64);
        byte[] signature = Arrays.copyOfRange(raw, 120, 184);
        if (!SigningKey.verify(evidence.signingKey(), body, signature)) {
            throw new AttestationException.InvalidEvidence("simulated evidence's signature does not verify");
        }
        return new FormatVerifier.Attested(Arrays.copyOfRange(raw, 56, 120), E2ee.hex(Arrays.copyOfRange(raw, 8, 56)));
    }
}
