package dev.veil.protocol.attestation.nvidia;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.Verdict;
import org.junit.jupiter.api.Test;

/** Minimum driver and VBIOS versions, on the public nvtrust Hopper sample (driver 550.90.07, VBIOS 96.00.9F.00.04). */
class GpuVersionPolicyTest {

    private static Verdict verify(GpuPolicy policy) {
        GpuSamples.Sample s = GpuSamples.NVTRUST_HOPPER;
        return new GpuVerifier().verify(s.evidence(), s.nonceBytes(), GpuCollateral.none(), policy, GpuSamples.AT);
    }

    @Test
    void versionsAtOrAboveTheMinimumsPass() {
        Verdict v = verify(GpuSamples.EVIDENCE_ONLY.withMinimumVersions("550.90.07", "96.00.5E.00.01"));
        assertThat(v.passed()).as(v.checks().toString()).isTrue();
        assertThat(v.checks().stream().filter(c -> c.name().equals(GpuChecks.VERSIONS)).findFirst().orElseThrow()
                .detail()).contains("driver 550.90.07 >= 550.90.07").contains(">= 96.00.5E.00.01");
        // Numbers, not text: 550 is newer than 535.161, and 9F is newer than 5E.
        assertThat(verify(GpuSamples.EVIDENCE_ONLY.withMinimumVersions("535.161.08", null)).passed()).isTrue();
    }

    @Test
    void anOlderDriverOrVbiosIsRefusedNamingBoth() {
        Verdict driver = verify(GpuSamples.EVIDENCE_ONLY.withMinimumVersions("550.127.05", null));
        assertThat(driver.passed()).isFalse();
        assertThat(driver.firstFailure().name()).isEqualTo(GpuChecks.VERSIONS);
        assertThat(driver.firstFailure().detail()).contains("550.90.07").contains("550.127.05");
        Verdict vbios = verify(GpuSamples.EVIDENCE_ONLY.withMinimumVersions(null, "96.00.A0.00.00"));
        assertThat(vbios.firstFailure().name()).isEqualTo(GpuChecks.VERSIONS);
        assertThat(vbios.firstFailure().detail()).contains("VBIOS");
    }

    @Test
    void aMalformedMinimumIsRefusedWhenThePolicyIsMade() {
        assertThatThrownBy(() -> GpuPolicy.DEFAULT.withMinimumVersions("latest", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("driver version");
        assertThatThrownBy(() -> GpuPolicy.DEFAULT.withMinimumVersions(null, "96.00.ZZ"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("VBIOS version");
    }
}
