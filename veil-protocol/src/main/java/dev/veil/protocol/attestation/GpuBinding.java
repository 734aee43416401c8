package dev.veil.protocol.attestation;

import dev.veil.protocol.e2ee.E2ee;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * How one verifier nonce covers a node's CPU report and every GPU report (docs/e2ee.md §3.2).
 * <ul>
 *   <li>Each GPU signs {@link #gpuNonce}: a hash of the verifier's nonce under its own label, so a GPU report is fresh
 *       for this verification and can never be taken for a CPU report data or the reverse.</li>
 *   <li>The CPU report data commits to {@link #digest} of every GPU report and certificate chain, in order. The CPU
 *       TEE's measured software collected them from the GPUs bound to it, so a GPU report of another machine (which
 *       a host could fetch with the same public nonce) cannot be swapped in after the CPU report was made: it would
 *       change the digest the hardware signed.</li>
 * </ul>
 */
public final class GpuBinding {

    private static final byte[] NONCE_LABEL = "veil e2ee v1 gpu nonce\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SET_LABEL = "veil e2ee v1 gpu set\0".getBytes(StandardCharsets.US_ASCII);

    private GpuBinding() {
    }

    /** The 32-byte nonce every GPU of the node signs for the verifier's {@code nonce}. */
    public static byte[] gpuNonce(byte[] nonce) {
        if (nonce.length != ReportData.NONCE_LENGTH) {
            throw new IllegalArgumentException("the attestation nonce has 32 bytes");
        }
        return E2ee.sha256(NONCE_LABEL, nonce);
    }

    /**
     * SHA-256 over the label, the report count and each report's format, report and chain, length-prefixed; null for
     * no GPUs (the report data is then the CPU-only binding, as before GPUs were supported).
     */
    public static byte[] digest(List<GpuReport> gpus) {
        if (gpus == null || gpus.isEmpty()) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        out.writeBytes(SET_LABEL);
        writeInt(out, gpus.size());
        for (GpuReport gpu : gpus) {
            writeBlock(out, gpu.format().getBytes(StandardCharsets.UTF_8));
            writeBlock(out, gpu.report());
            writeBlock(out, gpu.certificates());
        }
        return E2ee.sha256(out.toByteArray());
    }

    private static void writeBlock(ByteArrayOutputStream out, byte[] block) {
        writeInt(out, block.length);
        out.writeBytes(block);
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
