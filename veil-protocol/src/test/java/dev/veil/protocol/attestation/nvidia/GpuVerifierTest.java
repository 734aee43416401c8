package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Check;
import dev.veil.protocol.attestation.Verdict;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;
import org.junit.jupiter.api.Test;

class GpuVerifierTest {

    private final GpuVerifier verifier = new GpuVerifier();
    static final List<GpuSamples.Sample> GOOD = GpuSamples.GOOD;

    @ParameterizedTest
    @FieldSource("GOOD")
    void everyPublicSampleVerifies(GpuSamples.Sample sample) {
        Verdict v = verifier.verify(sample.evidence(), sample.nonceBytes(), GpuCollateral.none(),
                GpuSamples.EVIDENCE_ONLY, GpuSamples.AT);
        v.checks().forEach(c -> System.out.println(sample + ": " + c));
        assertThat(v.passed()).as(String.valueOf(v.firstFailure())).isTrue();
        assertThat(v.format()).isEqualTo("nvidia-gpu");
        assertThat(HexFormat.of().formatHex(v.reportData())).isEqualTo(sample.nonce());
        assertThat(v.checks()).extracting(Check::name).contains(GpuChecks.ARCHITECTURE);
        assertThat(v.checks().stream().filter(c -> c.name().equals(GpuChecks.ARCHITECTURE)).findFirst().orElseThrow()
                .detail()).startsWith(sample.arch().label());
    }
}
