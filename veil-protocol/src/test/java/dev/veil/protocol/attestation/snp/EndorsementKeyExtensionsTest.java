package dev.veil.protocol.attestation.snp;

import static dev.veil.protocol.attestation.snp.SnpSamples.HEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EndorsementKeyExtensionsTest {

    @Test
    void readsAMilanVcek() throws SnpFormatException {
        EndorsementKeyExtensions ext = EndorsementKeyExtensions.of(SnpSamples.goVcek());
        assertThat(ext.structVersion()).isZero();
        assertThat(ext.productName()).isEqualTo("Milan-B0");
        assertThat(ext.productLine()).isEqualTo("Milan");
        assertThat(ext.tcb()).isEqualTo(TcbVersion.of(2, 0, 5, 68));
        assertThat(HEX.formatHex(ext.hwid())).isEqualTo("3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e5378618"
                + "4ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d");
        assertThat(ext.cspId()).isNull();
    }

    @Test
    void readsAGenoaVcek() throws SnpFormatException {
        EndorsementKeyExtensions ext = EndorsementKeyExtensions.of(SnpSamples.genoaVcek());
        assertThat(ext.productName()).isEqualTo("Genoa");
        assertThat(ext.tcb()).isEqualTo(TcbVersion.of(10, 0, 23, 84));
        assertThat(ext.hwid()).hasSize(64);
    }

    @Test
    void readsATurinVcekWithFmcAndShortHwid() throws SnpFormatException {
        EndorsementKeyExtensions ext = EndorsementKeyExtensions.of(SnpSamples.turinVcek());
        assertThat(ext.structVersion()).isEqualTo(1);
        assertThat(ext.productName()).isEqualTo("Turin");
        assertThat(ext.productLine()).isEqualTo("Turin");
        assertThat(ext.tcb()).isEqualTo(new TcbVersion(0, 0, 0, 0, 9));
        assertThat(ext.tcb().hasFmc()).isTrue();
        assertThat(HEX.formatHex(ext.hwid())).isEqualTo("1e550a8ee5cf9f4d");
    }

    @Test
    void refusesACertificateWithoutAmdExtensions() {
        // the ARK has none of the AMD extensions
        assertThatThrownBy(() -> EndorsementKeyExtensions.of(AmdTrustStore.pinned().roots(SnpProduct.MILAN)
                .orElseThrow().ark())).isInstanceOf(SnpFormatException.class)
                .satisfies(e -> assertThat(((SnpFormatException) e).field()).isEqualTo("structVersion"));
    }
}
