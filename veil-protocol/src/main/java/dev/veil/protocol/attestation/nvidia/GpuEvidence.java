package dev.veil.protocol.attestation.nvidia;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * One GPU's evidence as its driver returns it: the attestation report (SPDM GET_MEASUREMENTS request and response) and
 * the device certificate chain (PEM, leaf first, as NVML returns it).
 *
 * @param report               the raw report bytes
 * @param certificateChain     the PEM chain
 * @param declaredArchitecture the architecture the collector labelled it with ({@code HOPPER}, {@code BLACKWELL}), or
 *                             null; never trusted, only compared with the device certificate
 */
public record GpuEvidence(byte[] report, byte[] certificateChain, String declaredArchitecture) {

    public GpuEvidence {
        report = report == null ? new byte[0] : report.clone();
        certificateChain = certificateChain == null ? new byte[0] : certificateChain.clone();
    }

    /** Evidence without a declared architecture. */
    public GpuEvidence(byte[] report, byte[] certificateChain) {
        this(report, certificateChain, null);
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
