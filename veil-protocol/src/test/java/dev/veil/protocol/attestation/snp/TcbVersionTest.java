package dev.veil.protocol.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TcbVersionTest {

    @Test
    void decodesTheMilanAndGenoaLayout() {
        // bytes (little-endian): bl=2, tee=0, 4 reserved, snp=5, ucode=0x44
        TcbVersion tcb = TcbVersion.decode(0x4405000000000002L, SnpProduct.MILAN);
        assertThat(tcb).isEqualTo(new TcbVersion(-1, 2, 0, 5, 68));
        assertThat(tcb.hasFmc()).isFalse();
        assertThat(TcbVersion.decode(0x4405000000000002L, SnpProduct.GENOA)).isEqualTo(tcb);
        assertThat(tcb).hasToString("bootloader=2 tee=0 snp=5 microcode=68");
    }

    @Test
    void decodesTheTurinLayout() {
        // bytes: fmc=1, bl=2, tee=3, snp=4, 3 reserved, ucode=9
        TcbVersion tcb = TcbVersion.decode(0x0900000004030201L, SnpProduct.TURIN);
        assertThat(tcb).isEqualTo(new TcbVersion(1, 2, 3, 4, 9));
        assertThat(tcb.hasFmc()).isTrue();
        assertThat(tcb).hasToString("fmc=1 bootloader=2 tee=3 snp=4 microcode=9");
    }

    @Test
    void comparesPerComponent() {
        TcbVersion tcb = TcbVersion.of(2, 0, 5, 68);
        assertThat(tcb.shortfallsAgainst(TcbVersion.of(2, 0, 5, 68))).isEmpty();
        assertThat(tcb.shortfallsAgainst(TcbVersion.of(1, 0, 0, 0))).isEmpty();
        assertThat(tcb.shortfallsAgainst(TcbVersion.of(3, 0, 8, 68))).containsExactly("bootloader 2 < 3", "snp 5 < 8");
        // a higher microcode does not make up for a lower SNP SPL
        assertThat(TcbVersion.of(9, 9, 1, 255).shortfallsAgainst(TcbVersion.of(0, 0, 2, 0))).containsExactly("snp 1 < 2");
        // FMC compared only when both have it
        assertThat(tcb.shortfallsAgainst(TcbVersion.of(0, 0, 0, 0).withFmc(3))).isEmpty();
        assertThat(tcb.withFmc(2).shortfallsAgainst(TcbVersion.of(0, 0, 0, 0).withFmc(3))).containsExactly("fmc 2 < 3");
    }

    @Test
    void refusesOutOfRangeComponents() {
        assertThatThrownBy(() -> TcbVersion.of(256, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcbVersion.of(0, -1, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TcbVersion(-2, 0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
