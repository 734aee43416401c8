package dev.veil.protocol.attestation.snp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AmdTrustStoreTest {

    @Test
    void embedsGoSevGuestsAmdCertificatesUnchanged() throws CertificateEncodingException {
        Map<SnpProduct, String[]> files = Map.of(
                SnpProduct.MILAN, new String[] {"ask_ark_milan.pem", "ask_ark_milan_vlek.pem"},
                SnpProduct.GENOA, new String[] {"ask_ark_genoa.pem", "ask_ark_genoa_vlek.pem"},
                SnpProduct.TURIN, new String[] {"ask_ark_turin_vcek.pem", "ask_ark_turin_vlek.pem"});
        for (SnpProduct product : SnpProduct.values()) {
            AmdTrustStore.ProductRoots roots = AmdTrustStore.pinned().roots(product).orElseThrow();
            List<X509Certificate> vcek = SnpSamples.goTrust(files.get(product)[0]);
            List<X509Certificate> vlek = SnpSamples.goTrust(files.get(product)[1]);
            assertThat(roots.ask().getEncoded()).isEqualTo(vcek.get(0).getEncoded());
            assertThat(roots.ark().getEncoded()).isEqualTo(vcek.get(1).getEncoded());
            assertThat(roots.asvk().getEncoded()).isEqualTo(vlek.get(0).getEncoded());
            assertThat(roots.ark().getEncoded()).isEqualTo(vlek.get(1).getEncoded());
            assertThat(AmdNames.commonName(roots.ark().getSubjectX500Principal())).isEqualTo(product.arkCommonName());
            assertThat(AmdNames.commonName(roots.ask().getSubjectX500Principal()))
                    .isEqualTo("SEV-" + product.productLine());
            assertThat(AmdNames.commonName(roots.asvk().getSubjectX500Principal()))
                    .isEqualTo("SEV-VLEK-" + product.productLine());
            assertThat(roots.intermediate(SigningKeyKind.VCEK)).isSameAs(roots.ask());
            assertThat(roots.intermediate(SigningKeyKind.VLEK)).isSameAs(roots.asvk());
        }
    }

    @Test
    void pinsEachArkSubjectPublicKeyInfo() {
        // computed independently: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum
        assertThat(AmdTrustStore.pinned().roots(SnpProduct.MILAN).orElseThrow().arkSpkiSha256())
                .isEqualTo("9f056bee44377e29308cb5ffa895bdfb62d18881fa6bed8d6f075b0204089cb9");
        assertThat(AmdTrustStore.pinned().roots(SnpProduct.GENOA).orElseThrow().arkSpkiSha256())
                .isEqualTo("429a69c9422aa258ee4d8db5fcda9c6470ef15f8cd5a9cebd6cbc7d90b863831");
        assertThat(AmdTrustStore.pinned().roots(SnpProduct.TURIN).orElseThrow().arkSpkiSha256())
                .isEqualTo("4f125410563a2ab9a50356f9243f6fe0b6f73de98603f53f90339c70e9d7ad08");
        for (SnpProduct p : SnpProduct.values()) {
            AmdTrustStore.ProductRoots r = AmdTrustStore.pinned().roots(p).orElseThrow();
            assertThat(AmdTrustStore.spkiSha256(r.ark())).isEqualTo(r.arkSpkiSha256());
        }
    }

    @Test
    void restrictsToSomeProducts() {
        AmdTrustStore milan = AmdTrustStore.pinned(SnpProduct.MILAN);
        assertThat(milan.products()).containsExactly(SnpProduct.MILAN);
        assertThat(milan.roots(SnpProduct.GENOA)).isEmpty();
        assertThat(AmdTrustStore.pinned().products()).containsExactly(SnpProduct.values());
    }

    @Test
    void acceptsOtherRootsOnlyWithTheirTruePin() {
        AmdTrustStore.ProductRoots milan = AmdTrustStore.pinned().roots(SnpProduct.MILAN).orElseThrow();
        assertThat(AmdTrustStore.of(List.of(milan)).products()).containsExactly(SnpProduct.MILAN);
        AmdTrustStore.ProductRoots wrongPin = new AmdTrustStore.ProductRoots(SnpProduct.MILAN, milan.ark(), milan.ask(),
                milan.asvk(), AmdTrustStore.pinned().roots(SnpProduct.GENOA).orElseThrow().arkSpkiSha256());
        assertThatThrownBy(() -> AmdTrustStore.of(List.of(wrongPin))).isInstanceOf(IllegalArgumentException.class);
    }
}
