package dev.veil.protocol.attestation;

import dev.veil.protocol.e2ee.E2ee;
import java.io.ByteArrayOutputStream;

/**
 * The 64 bytes a TEE signs into its report for Veil:
 * {@code SHA-256(label || 0x00 || len16(key_config) || key_config || len16(signing_key) || signing_key
 * [|| len16(32) || gpu_set_digest]) || nonce}. The GPU set digest ({@link GpuBinding#digest}) is present only when the
 * node's evidence carries GPU reports, so a CPU-only node's report data is unchanged.
 */
public final class ReportData {

    public static final int LENGTH = 64;
    public static final int NONCE_LENGTH = 32;

    private ReportData() {
    }

    /** The CPU-only binding (no GPU reports). */
    public static byte[] compute(byte[] keyConfig, byte[] signingKey, byte[] nonce) {
        return compute(keyConfig, signingKey, nonce, null);
    }

    /**
     * @param gpuSetDigest the 32-byte {@link GpuBinding#digest} of the node's GPU reports, or null when it has none
     */
    public static byte[] compute(byte[] keyConfig, byte[] signingKey, byte[] nonce, byte[] gpuSetDigest) {
        if (nonce.length != NONCE_LENGTH) {
            throw new IllegalArgumentException("the attestation nonce has 32 bytes");
        }
        ByteArrayOutputStream binding = new ByteArrayOutputStream(128);
        binding.writeBytes(E2ee.ATTESTATION_LABEL);
        binding.write(0);
        binding.write(keyConfig.length >>> 8);
        binding.write(keyConfig.length & 0xff);
        binding.writeBytes(keyConfig);
        binding.write(signingKey.length >>> 8);
        binding.write(signingKey.length & 0xff);
        binding.writeBytes(signingKey);
        if (gpuSetDigest != null) {
            if (gpuSetDigest.length != 32) {
                throw new IllegalArgumentException("the GPU set digest has 32 bytes");
            }
            binding.write(0);
            binding.write(32);
            binding.writeBytes(gpuSetDigest);
        }
        byte[] out = new byte[LENGTH];
        System.arraycopy(E2ee.sha256(binding.toByteArray()), 0, out, 0, 32);
        System.arraycopy(nonce, 0, out, 32, NONCE_LENGTH);
        return out;
    }
}
