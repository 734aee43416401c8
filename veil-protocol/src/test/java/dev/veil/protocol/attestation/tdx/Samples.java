package dev.veil.protocol.attestation.tdx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** The public sample evidence and collateral under src/test/resources/tdx (see its README.md). */
final class Samples {

    /** go-tdx-guest v4 quote (Sapphire Rapids, FMSPC 50806f000000, PCK valid 2022-09-20..2029-09-20). */
    static final String GO_V4 = "go-tdx-guest/tdx_prod_quote_SPR_E4.dat";
    /** go-tdx-guest v5 quote, TDX 1.5 body (FMSPC 90c06f000000, PCK valid 2026-01-27..2033-01-27). */
    static final String GO_V5 = "go-tdx-guest/quote_v5_sample.dat";
    /** go-tdx-guest quote from a COS 113 TD, padded with zeros to 8000 bytes (FMSPC 00806f050000, PCK 2024-07-02..). */
    static final String GO_COS = "go-tdx-guest/cos-113-tdx-quote.dat";
    /** go-tdx-guest TCB info for FMSPC 90c06f000000 (2026-02-01..2026-03-03). */
    static final String GO_TCB_INFO_V5 = "go-tdx-guest/sample_tcbinfo_response_v5.json";
    /** go-tdx-guest collateral: TCB info (FMSPC 50806f000000) 2023-06-18..07-18, QE identity and PCK CRL ..07-08. */
    static final String GO_COLLATERAL = "go-tdx-guest/collateral-2023-06";
    /** dcap-qvl v4 quote (FMSPC b0c06f000000, PCK valid 2025-02-06..2032-02-06). */
    static final String QVL_V4 = "dcap-qvl/tdx_quote";
    /** dcap-qvl v5 quote whose TCB is out of date (FMSPC 90c06f000000, PCK valid 2026-01-23..). */
    static final String QVL_OUTDATED = "dcap-qvl/tdx_quote_outdated";
    /** dcap-qvl collateral for FMSPC b0c06f000000, all valid 2025-06-19T10:32:27Z..2025-07-19T10:00:35Z. */
    static final String QVL_COLLATERAL_2025 = "dcap-qvl/collateral-2025-06";
    /** dcap-qvl collateral for FMSPC 90c06f000000, all valid 2026-02-18T10:58:51Z..2026-03-20T10:41:15Z. */
    static final String QVL_COLLATERAL_2026 = "dcap-qvl/collateral-2026-02";

    /** Inside go-tdx-guest's collateral windows (and the time go-tdx-guest's own tests use). */
    static final Instant AT_2023 = Instant.parse("2023-07-01T01:00:00Z");
    /** Inside the 2025-06 dcap-qvl collateral windows. */
    static final Instant AT_2025 = Instant.parse("2025-07-01T00:00:00Z");
    /** Inside the 2026-02 dcap-qvl collateral windows and after both 2026 PCK certificates were issued. */
    static final Instant AT_2026 = Instant.parse("2026-03-01T00:00:00Z");

    private Samples() {
    }

    static Path path(String resource) {
        try {
            return Path.of(Samples.class.getResource("/tdx/" + resource).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource tdx/" + resource, e);
        }
    }

    static byte[] bytes(String resource) {
        try {
            return Files.readAllBytes(path(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TdxCollateral collateral(String dir) {
        try {
            return TdxCollateral.load(path(dir));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (TdxFormatException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The collateral of {@code dir} with {@code tcbInfo} as the TCB info file. */
    static TdxCollateral collateralWithTcbInfo(String dir, byte[] tcbInfo) throws TdxFormatException {
        return TdxCollateral.parse(tcbInfo, bytes(dir + "/tcb_info_issuer_chain.pem"), bytes(dir + "/qe_identity.json"),
                bytes(dir + "/qe_identity_issuer_chain.pem"), List.of(bytes(dir + "/pck_crl.der")),
                bytes(dir + "/root_ca_crl.der"));
    }

    static byte[] flipBit(byte[] data, int offset, int bit) {
        byte[] out = data.clone();
        out[offset] ^= (byte) (1 << bit);
        return out;
    }
}
