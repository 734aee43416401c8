package dev.veil.protocol.attestation.nvidia;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * One GPU's evidence as its driver returns it: the attestation report (SPDM GET_MEASUREMENTS request and response) and
 * the device certificate chain (PEM, leaf first, as NVML returns it).
 *
 * @param report           the raw report bytes
 * @param certificateChain the PEM chain
 */
public record GpuEvidence(byte[] report, byte[] certificateChain) {

    public GpuEvidence {
        report = report == null ? new byte[0] : report.clone();
        certificateChain = certificateChain == null ? new byte[0] : certificateChain.clone();
    }

    @Override
    public byte[] report() {
        return report.clone();
    }

    @Override
    public byte[] certificateChain() {
        return certificateChain.clone();
    }

    /**
     * A report file's bytes: binary as is, or hex text (NVIDIA's samples and NVML tools write hex) decoded.
     * Whitespace around hex text is ignored.
     */
    public static byte[] decodeReport(byte[] file) {
        String text = new String(file, StandardCharsets.ISO_8859_1).strip();
        if (!text.isEmpty() && text.length() % 2 == 0 && text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return HexFormat.of().parseHex(text);
        }
        return file.clone();
    }
}
