package dev.veil.protocol.attestation.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TdxCollateralTest {

    @Test
    void loadsAnOperatorDirectoryWithUrlEncodedIssuerChains() throws Exception {
        // go-tdx-guest keeps the issuer chains as PCS serves them in the response header: URL-encoded PEM
        assertThat(Files.readString(Samples.path(Samples.GO_COLLATERAL + "/tcb_info_issuer_chain.pem")))
                .startsWith("-----BEGIN%20CERTIFICATE-----");
        TdxCollateral c = TdxCollateral.load(Samples.path(Samples.GO_COLLATERAL));
        TcbInfo t = c.tcbInfo();
        assertThat(t.id()).isEqualTo("TDX");
        assertThat(t.version()).isEqualTo(3);
        assertThat(t.fmspc()).isEqualTo("50806f000000");
        assertThat(t.issueDate()).isEqualTo(Instant.parse("2023-06-18T08:42:58Z"));
        assertThat(t.nextUpdate()).isEqualTo(Instant.parse("2023-07-18T08:42:58Z"));
        assertThat(t.tcbLevels()).hasSize(2);
        assertThat(t.tcbLevels().getFirst().sgxComponents()).startsWith(5, 5, 2, 2, 3, 1, 0, 3);
        assertThat(t.tcbLevels().getFirst().pceSvn()).isEqualTo(11);
        assertThat(t.tcbLevels().get(1).status()).isEqualTo(TcbStatus.OUT_OF_DATE);
        assertThat(t.tcbLevels().get(1).advisoryIds()).contains("INTEL-SA-00106");
        assertThat(t.tdxModule().attributesMask()).isEqualTo("ffffffffffffffff");
        assertThat(c.qeIdentity().id()).isEqualTo("TD_QE");
        assertThat(c.qeIdentity().isvProdId()).isEqualTo(2);
        assertThat(c.qeIdentity().tcbLevels()).singleElement().satisfies(l -> assertThat(l.isvSvn()).isEqualTo(4));
        assertThat(Certs.cn(c.tcbInfoIssuerChain().getFirst())).isEqualTo("Intel SGX TCB Signing");
        assertThat(c.pckCrls()).singleElement()
                .satisfies(crl -> assertThat(Certs.cn(crl.getIssuerX500Principal())).isEqualTo("Intel SGX PCK Platform CA"));
        assertThat(Certs.cn(c.rootCaCrl().getIssuerX500Principal())).isEqualTo("Intel SGX Root CA");
    }

    @Test
    void theSignedBodyIsExactlyTheServedMember() {
        TdxCollateral c = Samples.collateral(Samples.GO_COLLATERAL);
        String body = new String(Samples.bytes(Samples.GO_COLLATERAL + "/tcb_info.json"), StandardCharsets.US_ASCII);
        String signed = new String(c.tcbInfo().signedBody(), StandardCharsets.US_ASCII);
        assertThat(body).startsWith("{\"tcbInfo\":" + signed + ",\"signature\":\"");
        assertThat(c.tcbInfo().signature()).hasSize(64);
    }

    @Test
    void theQeIdentityIssuerChainDefaultsToTheTcbInfoIssuerChain(@TempDir Path dir) throws Exception {
        copy(Samples.QVL_COLLATERAL_2025, dir, TdxCollateral.TCB_INFO, TdxCollateral.TCB_INFO_ISSUER_CHAIN,
                TdxCollateral.QE_IDENTITY, TdxCollateral.PCK_CRL, TdxCollateral.ROOT_CA_CRL);
        TdxCollateral c = TdxCollateral.load(dir);
        assertThat(c.qeIdentityIssuerChain()).isEqualTo(c.tcbInfoIssuerChain());
        assertThat(new TdxVerifier().verify(Samples.bytes(Samples.QVL_V4), c, TdxPolicy.DEFAULT, Samples.AT_2025)
                .passed()).isTrue();
    }

    @Test
    void aMissingRequiredFileIsAnIoError(@TempDir Path dir) throws Exception {
        copy(Samples.QVL_COLLATERAL_2025, dir, TdxCollateral.TCB_INFO, TdxCollateral.TCB_INFO_ISSUER_CHAIN,
                TdxCollateral.QE_IDENTITY, TdxCollateral.PCK_CRL);
        assertThatThrownBy(() -> TdxCollateral.load(dir)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(TdxCollateral.ROOT_CA_CRL);
    }

    @Test
    void malformedCollateralIsRefusedNamingTheFile() {
        String dir = Samples.QVL_COLLATERAL_2025;
        assertThatThrownBy(() -> Samples.collateralWithTcbInfo(dir, "{\"tcbInfo\":".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(TdxFormatException.class).hasMessageStartingWith("TCB info: not valid JSON");
        assertThatThrownBy(() -> Samples.collateralWithTcbInfo(dir,
                "{\"tcbInfo\":{},\"tcbInfo\":{},\"signature\":\"00\"}".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(TdxFormatException.class).hasMessageContaining("Duplicate field 'tcbInfo'");
        assertThatThrownBy(() -> Samples.collateralWithTcbInfo(dir,
                "{\"tcbInfo\":{\"id\":\"TDX\"},\"signature\":\"zz\"}".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(TdxFormatException.class).hasMessageStartingWith("TCB info signature: not hex");
        String noLevels = new String(Samples.bytes(dir + "/tcb_info.json"), StandardCharsets.US_ASCII)
                .replace("\"tcbLevels\":[{\"tcb\":{\"sgxtcbcomponents\"", "\"levels\":[{\"tcb\":{\"sgxtcbcomponents\"");
        assertThatThrownBy(() -> Samples.collateralWithTcbInfo(dir, noLevels.getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(TdxFormatException.class)
                .satisfies(e -> assertThat(((TdxFormatException) e).field()).isEqualTo("tcbInfo.tcbLevels"));
        String badStatus = new String(Samples.bytes(dir + "/tcb_info.json"), StandardCharsets.US_ASCII)
                .replace("\"tcbStatus\":\"OutOfDate\"", "\"tcbStatus\":\"Fine\"");
        assertThatThrownBy(() -> Samples.collateralWithTcbInfo(dir, badStatus.getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(TdxFormatException.class).hasMessageContaining("unrecognized TCB status 'Fine'");
        assertThatThrownBy(() -> TdxCollateral.parse(Samples.bytes(dir + "/tcb_info.json"),
                "not pem".getBytes(StandardCharsets.US_ASCII), Samples.bytes(dir + "/qe_identity.json"),
                Samples.bytes(dir + "/qe_identity_issuer_chain.pem"), List.of(Samples.bytes(dir + "/pck_crl.der")),
                Samples.bytes(dir + "/root_ca_crl.der")))
                .isInstanceOf(TdxFormatException.class).hasMessageStartingWith(TdxCollateral.TCB_INFO_ISSUER_CHAIN);
        assertThatThrownBy(() -> TdxCollateral.parse(Samples.bytes(dir + "/tcb_info.json"),
                Samples.bytes(dir + "/tcb_info_issuer_chain.pem"), Samples.bytes(dir + "/qe_identity.json"),
                Samples.bytes(dir + "/qe_identity_issuer_chain.pem"), List.of(new byte[] {1, 2, 3}),
                Samples.bytes(dir + "/root_ca_crl.der")))
                .isInstanceOf(TdxFormatException.class).hasMessageStartingWith(TdxCollateral.PCK_CRL);
    }

    @Test
    void crlsMayBeHexOrPem() throws Exception {
        byte[] der = Samples.bytes(Samples.QVL_COLLATERAL_2025 + "/pck_crl.der");
        String hex = java.util.HexFormat.of().formatHex(der);
        String pem = "-----BEGIN X509 CRL-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END X509 CRL-----\n";
        assertThat(Certs.crl(hex.getBytes(StandardCharsets.US_ASCII), "x").getEncoded()).isEqualTo(der);
        assertThat(Certs.crl(pem.getBytes(StandardCharsets.US_ASCII), "x").getEncoded()).isEqualTo(der);
    }

    private static void copy(String from, Path to, String... files) throws Exception {
        for (String f : files) {
            Files.copy(Samples.path(from + "/" + f), to.resolve(f));
        }
    }
}
