package dev.veil.protocol.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.FormatVerifier;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnpFormatVerifierTest {

    private static final Clock AT = Clock.fixed(SnpSamples.AT, ZoneOffset.UTC);

    @Test
    void returnsWhatTheVerifiedReportAttests() throws AttestationException {
        SnpFormatVerifier v = new SnpFormatVerifier(e -> List.of(SnpSamples.virteeVcek()), SnpPolicy.defaults(), AT);
        assertThat(v.format()).isEqualTo("sev-snp");
        // the evidence claims other report data and measurement: the verified report's own values are returned
        FormatVerifier.Attested attested = v.verify(evidence(SnpSamples.virteeReport()));
        assertThat(attested.measurement()).isEqualTo(
                "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f");
        assertThat(SnpSamples.HEX.formatHex(attested.reportData())).startsWith("d447b55d197491bf");
    }

    @Test
    void throwsInvalidEvidenceWithTheFirstFailedCheck() {
        SnpFormatVerifier v = new SnpFormatVerifier(e -> List.of(SnpSamples.goVcek()), SnpPolicy.defaults(), AT);
        assertThatThrownBy(() -> v.verify(evidence(SnpSamples.goReport())))
                .isInstanceOf(AttestationException.InvalidEvidence.class)
                .hasMessageStartingWith("sev-snp evidence refused: debug: the guest policy allows debugging")
                .satisfies(e -> assertThat(((AttestationException) e).code()).isEqualTo("attestation_invalid_evidence"));
        byte[] tampered = SnpSamples.flip(SnpSamples.goReport(), 0x90, 0);
        assertThatThrownBy(() -> v.verify(evidence(tampered)))
                .hasMessageStartingWith("sev-snp evidence refused: report signature:");
    }

    @Test
    void checksValidityAtTheClocksTime() {
        Clock late = Clock.fixed(Instant.parse("2031-01-01T00:00:00Z"), ZoneOffset.UTC);
        SnpFormatVerifier v = new SnpFormatVerifier(e -> List.of(SnpSamples.virteeVcek()), SnpPolicy.defaults(), late);
        assertThatThrownBy(() -> v.verify(evidence(SnpSamples.virteeReport())))
                .isInstanceOf(AttestationException.InvalidEvidence.class)
                .hasMessageContaining("certificate validity: SEV-VCEK expired");
    }

    @Test
    void aSourceWithoutCertificatesIsRefused() {
        SnpFormatVerifier v = new SnpFormatVerifier(e -> null, SnpPolicy.defaults(), AT);
        assertThatThrownBy(() -> v.verify(evidence(SnpSamples.virteeReport())))
                .hasMessageContaining("endorsement key certificate: no VCEK certificate");
        assertThat(v.verdict(evidence(new byte[0])).firstFailure().name()).isEqualTo("report format");
    }

    private static Evidence evidence(byte[] raw) {
        return new Evidence("sev-snp", "node-1", new byte[] {1}, new byte[32], new byte[32], new byte[64], raw,
                "00".repeat(48));
    }
}
