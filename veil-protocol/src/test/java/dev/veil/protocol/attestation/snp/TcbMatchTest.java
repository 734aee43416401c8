package dev.veil.protocol.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.attestation.Check;
import org.junit.jupiter.api.Test;

/** The TCB match check on its own: real reports are signed, so a mismatch cannot be forged into one. */
class TcbMatchTest {

    private final SnpReport go = parse(SnpSamples.goReport());
    private final EndorsementKeyExtensions goVcek = extensions(SnpSamples.goVcek());

    @Test
    void theSampleMatchesItsVcek() {
        Check c = TcbMatch.check(go, goVcek, SnpProduct.MILAN, SigningKeyKind.VCEK);
        assertThat(c.passed()).as(c.detail()).isTrue();
        assertThat(c.detail()).isEqualTo("product Milan-B0, REPORTED_TCB = VCEK TCB (bootloader=2 tee=0 snp=5 "
                + "microcode=68), CHIP_ID equals the VCEK's hwID");
    }

    @Test
    void anotherTcbIsRefused() {
        Check c = TcbMatch.check(go, extensions(SnpSamples.virteeVcek()), SnpProduct.MILAN, SigningKeyKind.VCEK);
        assertThat(c.passed()).isFalse();
        assertThat(c.detail()).isEqualTo("REPORTED_TCB (bootloader=2 tee=0 snp=5 microcode=68) is not the VCEK's TCB "
                + "(bootloader=3 tee=0 snp=8 microcode=115)");
    }

    @Test
    void anotherChipIsRefused() {
        byte[] otherChip = goVcek.hwid();
        otherChip[63] ^= 1;
        EndorsementKeyExtensions ext = new EndorsementKeyExtensions(0, "Milan-B0", goVcek.tcb(), otherChip, null);
        Check c = TcbMatch.check(go, ext, SnpProduct.MILAN, SigningKeyKind.VCEK);
        assertThat(c.passed()).isFalse();
        assertThat(c.detail()).startsWith("CHIP_ID 3ac3fe21").contains("is not the VCEK's hwID");
    }

    @Test
    void aMaskedChipIdIsNotCompared() {
        byte[] masked = SnpSamples.goReport();
        java.util.Arrays.fill(masked, 0x1A0, 0x1E0, (byte) 0);
        Check c = TcbMatch.check(parse(masked), goVcek, SnpProduct.MILAN, SigningKeyKind.VCEK);
        assertThat(c.passed()).isTrue();
        assertThat(c.detail()).contains("CHIP_ID masked by the host, hwID not compared");
    }

    @Test
    void aProductNameOfAnotherLineIsRefused() {
        Check c = TcbMatch.check(go, goVcek, SnpProduct.GENOA, SigningKeyKind.VCEK);
        assertThat(c.passed()).isFalse();
        assertThat(c.detail()).isEqualTo("VCEK product name Milan-B0 does not match the Genoa root it chains to");
    }

    @Test
    void aCertificateTcbAboveTheCurrentTcbIsRefused() {
        // CURRENT_TCB bootloader lowered to 1 while REPORTED_TCB stays 2 (parse only; no signature involved here)
        byte[] report = SnpSamples.goReport();
        report[0x38] = 1;
        Check c = TcbMatch.check(parse(report), goVcek, SnpProduct.MILAN, SigningKeyKind.VCEK);
        assertThat(c.passed()).isFalse();
        assertThat(c.detail()).contains("exceeds CURRENT_TCB", "bootloader 1 < 2");
    }

    @Test
    void aTurinKeyNeedsItsFmcSpl() {
        EndorsementKeyExtensions turin = extensions(SnpSamples.turinVcek());
        EndorsementKeyExtensions noFmc = new EndorsementKeyExtensions(1, "Turin", TcbVersion.of(0, 0, 0, 9),
                turin.hwid(), null);
        Check c = TcbMatch.check(go, noFmc, SnpProduct.TURIN, SigningKeyKind.VCEK);
        assertThat(c.passed()).isFalse();
        assertThat(c.detail()).isEqualTo("VCEK of a Turin has no fmcSPL extension");
    }

    @Test
    void aTurinReportMatchesItsShortHwid() {
        // a report shaped for the Turin VCEK: REPORTED_TCB fmc=0 bl=0 tee=0 snp=0 ucode=9, CHIP_ID = hwID || zeros
        EndorsementKeyExtensions turin = extensions(SnpSamples.turinVcek());
        byte[] report = SnpSamples.goReport();
        long tcb = 9L << 56;
        for (int i = 0; i < 8; i++) {
            report[0x180 + i] = (byte) (tcb >>> (8 * i));
            report[0x38 + i] = (byte) (tcb >>> (8 * i));
        }
        java.util.Arrays.fill(report, 0x1A0, 0x1E0, (byte) 0);
        System.arraycopy(turin.hwid(), 0, report, 0x1A0, 8);
        Check c = TcbMatch.check(parse(report), turin, SnpProduct.TURIN, SigningKeyKind.VCEK);
        assertThat(c.passed()).as(c.detail()).isTrue();
        report[0x1A0 + 9] = 1; // bytes after the 8-byte Turin chip id must be zero
        assertThat(TcbMatch.check(parse(report), turin, SnpProduct.TURIN, SigningKeyKind.VCEK).passed()).isFalse();
    }

    private static SnpReport parse(byte[] report) {
        try {
            return SnpReport.parse(report);
        } catch (SnpFormatException e) {
            throw new AssertionError(e);
        }
    }

    private static EndorsementKeyExtensions extensions(java.security.cert.X509Certificate cert) {
        try {
            return EndorsementKeyExtensions.of(cert);
        } catch (SnpFormatException e) {
            throw new AssertionError(e);
        }
    }
}
