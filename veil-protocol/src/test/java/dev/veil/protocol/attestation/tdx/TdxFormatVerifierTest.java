package dev.veil.protocol.attestation.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.attestation.FormatVerifier;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class TdxFormatVerifierTest {

    private final TdxFormatVerifier verifier = new TdxFormatVerifier(Samples.collateral(Samples.QVL_COLLATERAL_2025),
            TdxPolicy.DEFAULT, Clock.fixed(Samples.AT_2025, ZoneOffset.UTC));

    private static Evidence evidence(byte[] quote) {
        return new Evidence("tdx", "node-1", new byte[0], new byte[0], new byte[32], new byte[64], quote, null);
    }

    @Test
    void attestsTheReportDataAndMrtd() throws Exception {
        byte[] quote = Samples.bytes(Samples.QVL_V4);
        FormatVerifier.Attested attested = verifier.verify(evidence(quote));
        assertThat(verifier.format()).isEqualTo("tdx");
        assertThat(attested.reportData()).isEqualTo(TdxQuote.parse(quote).report().reportData());
        assertThat(attested.measurement()).isEqualTo("91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407"
                + "de03ae6dc5f87f27428b2538873118b7");
    }

    @Test
    void refusesWithTheFirstFailedChecksReason() {
        byte[] tampered = Samples.flipBit(Samples.bytes(Samples.QVL_V4), 0x30 + 0x88, 0);
        assertThatThrownBy(() -> verifier.verify(evidence(tampered)))
                .isInstanceOf(AttestationException.InvalidEvidence.class)
                .hasMessage("TDX quote refused: quote signature: the quote (header and TD report) is not signed by the"
                        + " attestation key")
                .satisfies(e -> assertThat(((AttestationException) e).code()).isEqualTo("attestation_invalid_evidence"));
        TdxFormatVerifier late = new TdxFormatVerifier(Samples.collateral(Samples.QVL_COLLATERAL_2025), TdxPolicy.DEFAULT,
                Clock.fixed(Samples.AT_2026, ZoneOffset.UTC));
        assertThatThrownBy(() -> late.verify(evidence(Samples.bytes(Samples.QVL_V4))))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("PCK CRL: the CRL expired");
    }

    @Test
    void plugsIntoTheAttestationVerifier() {
        // The public quote was not made for Veil: it verifies as TDX evidence, then fails Veil's nonce binding.
        AttestationVerifier attestation = new AttestationVerifier(List.of(verifier));
        assertThatThrownBy(() -> attestation.verify(evidence(Samples.bytes(Samples.QVL_V4)), new byte[32],
                AttestationPolicy.HARDWARE_ONLY)).isInstanceOf(AttestationException.NonceMismatch.class);
        assertThatThrownBy(() -> attestation.verify(evidence(new byte[5]), new byte[32], AttestationPolicy.HARDWARE_ONLY))
                .isInstanceOf(AttestationException.InvalidEvidence.class).hasMessageContaining("quote format");
    }
}
