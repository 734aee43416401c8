package dev.veil.protocol.attestation.snp;

import static dev.veil.protocol.attestation.snp.SnpSamples.HEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SnpReportTest {

    @Test
    void parsesEveryFieldOfTheGoSevGuestSample() throws SnpFormatException {
        SnpReport r = SnpReport.parse(SnpSamples.goReport());
        assertThat(r.version()).isEqualTo(2);
        assertThat(r.guestSvn()).isZero();
        assertThat(r.policy().bits()).isEqualTo(0xb0000L);
        assertThat(r.policy().smt()).isTrue();
        assertThat(r.policy().debug()).isTrue();
        assertThat(r.policy().migrateMa()).isFalse();
        assertThat(r.policy().singleSocket()).isFalse();
        assertThat(r.policy().abiMajor()).isZero();
        assertThat(r.familyId()).isEqualTo(new byte[16]);
        assertThat(r.imageId()).isEqualTo(new byte[16]);
        assertThat(r.vmpl()).isZero();
        assertThat(r.signatureAlgorithm()).isEqualTo(SnpReport.ECDSA_P384_SHA384);
        assertThat(r.currentTcb()).isEqualTo(0x4405000000000002L);
        assertThat(r.platformInfo()).isEqualTo(1L);
        assertThat(r.signingKey()).isEqualTo(SigningKeyKind.VCEK);
        assertThat(r.chipIdMasked()).isFalse();
        assertThat(r.authorKeyEnabled()).isFalse();
        assertThat(HEX.formatHex(r.reportData())).isEqualTo("0102030405" + "0".repeat(118));
        assertThat(r.measurementHex()).isEqualTo(
                "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01");
        assertThat(r.measurement()).hasSize(48);
        assertThat(r.hostData()).isEqualTo(new byte[32]);
        assertThat(r.idKeyDigest()).isEqualTo(new byte[48]);
        assertThat(r.authorKeyDigest()).isEqualTo(new byte[48]);
        assertThat(HEX.formatHex(r.reportId())).startsWith("8edc638e1857c555");
        assertThat(r.reportIdMa()).containsOnly((byte) 0xff);
        assertThat(r.reportedTcb()).isEqualTo(0x4405000000000002L);
        assertThat(TcbVersion.decode(r.reportedTcb(), SnpProduct.MILAN)).isEqualTo(TcbVersion.of(2, 0, 5, 68));
        assertThat(r.cpuidFamily()).isEmpty();
        assertThat(r.cpuidModel()).isEmpty();
        assertThat(r.cpuidStepping()).isEmpty();
        assertThat(r.cpuidProduct()).isEmpty();
        assertThat(HEX.formatHex(r.chipId())).isEqualTo("3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e5378618"
                + "4ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d");
        assertThat(r.committedTcb()).isEqualTo(0x4405000000000002L);
        assertThat(r.currentFirmware()).isEqualTo("1.49.3");
        assertThat(r.committedFirmware()).isEqualTo("1.49.3");
        assertThat(r.launchTcb()).isEqualTo(0x4405000000000002L);
        assertThat(r.launchMitVector()).isEmpty();
        assertThat(r.currentMitVector()).isEmpty();
        assertThat(r.signedRegion()).isEqualTo(Arrays.copyOf(SnpSamples.goReport(), 0x2A0));
        assertThat(r.signatureR()).hasSize(72);
        assertThat(HEX.formatHex(r.signatureR())).startsWith("4f8e8b5ab8f8f969").endsWith("0".repeat(48));
        assertThat(HEX.formatHex(r.signatureS())).startsWith("e689246ba09566b6").endsWith("0".repeat(48));
        assertThat(r.raw()).isEqualTo(SnpSamples.goReport());
    }

    @Test
    void parsesTheVirteeSample() throws SnpFormatException {
        SnpReport r = SnpReport.parse(SnpSamples.virteeReport());
        assertThat(r.version()).isEqualTo(2);
        assertThat(r.policy().debug()).isFalse();
        assertThat(r.policy().bits()).isEqualTo(0x30000L);
        assertThat(r.measurementHex()).isEqualTo(
                "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f");
        assertThat(TcbVersion.decode(r.reportedTcb(), SnpProduct.MILAN)).isEqualTo(TcbVersion.of(3, 0, 8, 115));
        assertThat(r.currentFirmware()).isEqualTo("1.52.4");
    }

    @Test
    void parsesAVersion4ReportWithCpuid() throws SnpFormatException {
        SnpReport r = SnpReport.parse(SnpSamples.gceReportV4());
        assertThat(r.version()).isEqualTo(4);
        assertThat(r.cpuidFamily()).hasValue(0x19);
        assertThat(r.cpuidModel()).hasValue(0x01);
        assertThat(r.cpuidStepping()).hasValue(0x01);
        assertThat(r.cpuidProduct()).contains(SnpProduct.MILAN);
        assertThat(TcbVersion.decode(r.reportedTcb(), SnpProduct.MILAN)).isEqualTo(TcbVersion.of(4, 0, 25, 219));
        assertThat(r.measurementHex()).startsWith("59ead9b42664d54f");
        assertThat(r.currentFirmware()).isEqualTo("1.55.31");
        assertThat(r.launchMitVector()).isEmpty();
    }

    @Test
    void readsVersion3AndVersion5Fields() throws SnpFormatException {
        byte[] v3 = SnpSamples.gceReportV4();
        v3[0] = 3;
        assertThat(SnpReport.parse(v3).cpuidProduct()).contains(SnpProduct.MILAN);

        byte[] v5 = SnpSamples.gceReportV4();
        v5[0] = 5;
        v5[0x1F8] = 0x21; // LAUNCH_MIT_VECTOR
        v5[0x200] = 0x03; // CURRENT_MIT_VECTOR
        v5[0x207] = 0x40;
        SnpReport r = SnpReport.parse(v5);
        assertThat(r.version()).isEqualTo(5);
        assertThat(r.launchMitVector()).hasValue(0x21L);
        assertThat(r.currentMitVector()).hasValue(0x4000000000000003L);

        byte[] turin = SnpSamples.gceReportV4();
        turin[0x188] = 0x1A;
        turin[0x189] = 0x02;
        assertThat(SnpReport.parse(turin).cpuidProduct()).contains(SnpProduct.TURIN);
        turin[0x189] = 0x7f;
        assertThat(SnpReport.parse(turin).cpuidProduct()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 0x49F, 0x4A1, 4096})
    void refusesWrongSizes(int size) {
        byte[] report = Arrays.copyOf(SnpSamples.goReport(), size);
        assertThatThrownBy(() -> SnpReport.parse(report)).isInstanceOf(SnpFormatException.class)
                .hasMessageContaining("1184").extracting(e -> ((SnpFormatException) e).field()).isEqualTo("report");
        assertThatThrownBy(() -> SnpReport.parse(null)).isInstanceOf(SnpFormatException.class);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 6, 255})
    void refusesUnsupportedVersions(int version) {
        byte[] report = SnpSamples.goReport();
        report[0] = (byte) version;
        assertField(report, "version");
    }

    @Test
    void refusesMalformedPolicyAndSignerInfo() {
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x0A, 1), "policy"); // reserved bit 17 must be 1
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x0B, 2), "policy"); // bit 26
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x0F, 7), "policy"); // bit 63
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x48, 3), "signer_info"); // SIGNING_KEY 2: reserved
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x48, 5), "signer_info"); // bit 5 must be zero
    }

    @Test
    void refusesNonZeroReservedBytesNamingThem() {
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x4C, 0), "reserved[0x04c..0x050)");
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x188, 0), "reserved[0x188..0x1a0)"); // CPUID is v3+
        assertField(SnpSamples.flip(SnpSamples.gceReportV4(), 0x18B, 0), "reserved[0x18b..0x1a0)");
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x1EB, 0), "reserved[0x1eb..0x1ec)");
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x1EF, 0), "reserved[0x1ef..0x1f0)");
        assertField(SnpSamples.flip(SnpSamples.gceReportV4(), 0x1F8, 0), "reserved[0x1f8..0x2a0)"); // MIT is v5+
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x29F, 7), "reserved[0x1f8..0x2a0)");
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x2A0 + 144, 0), "reserved[0x330..0x4a0)");
        assertField(SnpSamples.flip(SnpSamples.goReport(), 0x49F, 7), "reserved[0x330..0x4a0)");
    }

    private static void assertField(byte[] report, String field) {
        assertThatThrownBy(() -> SnpReport.parse(report)).isInstanceOf(SnpFormatException.class)
                .satisfies(e -> assertThat(((SnpFormatException) e).field()).isEqualTo(field))
                .hasMessageStartingWith(field + ": ");
    }
}
