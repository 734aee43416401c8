package dev.veil.protocol.attestation;

import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code simulated-gpu} format, for the demo and development without a confidential GPU:
 * {@code "VEILGPU1" || gpu_nonce(32) || measurement(48) || Ed25519 signature(64)}, signed by the node's own signing
 * key. It proves nothing about a GPU; verifiers refuse it unless simulated evidence is explicitly allowed, and every
 * place that shows it says {@code simulated}.
 */
public final class SimulatedGpuEvidence {

    public static final String FORMAT = "simulated-gpu";
    private static final byte[] MAGIC = "VEILGPU1".getBytes(StandardCharsets.US_ASCII);
    private static final int BODY = 8 + 32 + 48;
    private static final int LENGTH = BODY + 64;

    private SimulatedGpuEvidence() {
    }

    /**
     * A simulated report for {@code gpuNonce}.
     *
     * @param architecture the label shown for it ({@code hopper}, {@code blackwell})
     * @param identity     what its measurement is the SHA-384 of (e.g. a driver and VBIOS version string)
     */
    public static GpuReport attest(SigningKey signingKey, byte[] gpuNonce, String architecture, String identity) {
        byte[] body = new byte[BODY];
        System.arraycopy(MAGIC, 0, body, 0, 8);
        System.arraycopy(gpuNonce, 0, body, 8, 32);
        System.arraycopy(SimulatedEvidence.measure(identity), 0, body, 40, 48);
        byte[] raw = Arrays.copyOf(body, LENGTH);
        System.arraycopy(signingKey.sign(body), 0, raw, BODY, 64);
        return new GpuReport(FORMAT, architecture.toLowerCase(Locale.ROOT), raw, null);
    }

    /**
     * Verifies a simulated report against the node's signing key and the expected GPU nonce.
     *
     * @return the verified GPU, labelled simulated
     */
    static VerifiedGpu verify(GpuReport gpu, byte[] signingKey, byte[] expectedGpuNonce) throws AttestationException {
        byte[] raw = gpu.report();
        if (raw.length != LENGTH || !Arrays.equals(Arrays.copyOf(raw, 8), MAGIC)) {
            throw new AttestationException.InvalidEvidence("simulated GPU evidence is not VEILGPU1-shaped");
        }
        if (!SigningKey.verify(signingKey, Arrays.copyOf(raw, BODY), Arrays.copyOfRange(raw, BODY, LENGTH))) {
            throw new AttestationException.InvalidEvidence("simulated GPU evidence's signature does not verify");
        }
        if (!MessageDigest.isEqual(Arrays.copyOfRange(raw, 8, 40), expectedGpuNonce)) {
            throw new AttestationException.NonceMismatch();
        }
        String architecture = gpu.architecture() == null ? "unknown" : gpu.architecture();
        return new VerifiedGpu(FORMAT, architecture, E2ee.hex(Arrays.copyOfRange(raw, 40, 88)), true,
                "simulated " + architecture + " GPU (no hardware)");
    }
}
