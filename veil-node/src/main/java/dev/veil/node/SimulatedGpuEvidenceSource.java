package dev.veil.node;

import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.attestation.SimulatedGpuEvidence;
import dev.veil.protocol.e2ee.SigningKey;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code simulated-gpu} format for the demo and development: {@code count} GPUs of one architecture, each report
 * signed with the node's own key. It proves nothing about a GPU; verifiers refuse it unless simulated evidence is
 * explicitly allowed, and everything that shows it says so.
 */
public final class SimulatedGpuEvidenceSource implements GpuEvidenceSource {

    private final int count;
    private final String architecture;
    private final String identity;

    /**
     * @param architecture the label ({@code hopper}, {@code blackwell})
     * @param identity     what each simulated GPU's measurement is the SHA-384 of (e.g. driver and VBIOS versions)
     */
    public SimulatedGpuEvidenceSource(int count, String architecture, String identity) {
        if (count < 1 || count > GpuReport.MAX_PER_NODE) {
            throw new IllegalArgumentException("a node has between 1 and " + GpuReport.MAX_PER_NODE
                    + " simulated GPUs, not " + count);
        }
        this.count = count;
        this.architecture = architecture;
        this.identity = identity;
    }

    @Override
    public List<GpuReport> collect(byte[] gpuNonce, SigningKey signingKey) {
        List<GpuReport> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(SimulatedGpuEvidence.attest(signingKey, gpuNonce, architecture, identity));
        }
        return out;
    }

    @Override
    public String describe() {
        return count + " simulated " + architecture + " GPU(s)";
    }
}
