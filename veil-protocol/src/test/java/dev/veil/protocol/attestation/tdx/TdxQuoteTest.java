package dev.veil.protocol.attestation.tdx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TdxQuoteTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void parsesTheGoTdxGuestV4Quote() throws TdxFormatException {
        TdxQuote q = TdxQuote.parse(Samples.bytes(Samples.GO_V4));
        assertThat(q.version()).isEqualTo(4);
        assertThat(q.header().attestationKeyType()).isEqualTo(2);
        assertThat(q.header().teeType()).isEqualTo(0x81);
        assertThat(q.header().intelQe()).isTrue();
        assertThat(HEX.formatHex(q.header().userData())).isEqualTo("739c3f292a15bace1f726351a70d4b7900000000");
        TdReport r = q.report();
        assertThat(r.type()).isEqualTo(TdReport.TYPE_TDX10);
        assertThat(HEX.formatHex(r.teeTcbSvn())).isEqualTo("03000400000000000000000000000000");
        assertThat(HEX.formatHex(r.mrSeam())).isEqualTo("2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9"
                + "a89b4869a9fab60fbe9d0c5a5363c656");
        assertThat(r.mrSignerSeam()).isEqualTo(new byte[48]);
        assertThat(r.seamAttributes()).isEqualTo(new byte[8]);
        assertThat(r.tdAttributesValue()).isEqualTo(0x40000000L);
        assertThat(r.debug()).isFalse();
        assertThat(HEX.formatHex(r.xfam())).isEqualTo("e71a060000000000");
        assertThat(r.mrTdHex()).isEqualTo("6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f"
                + "22fc00b8dcd404bc10d5e119d7215cbb");
        assertThat(r.mrConfigId()).isEqualTo(new byte[48]);
        assertThat(r.mrOwner()).isEqualTo(new byte[48]);
        assertThat(r.mrOwnerConfig()).isEqualTo(new byte[48]);
        assertThat(HEX.formatHex(r.rtmr(0))).startsWith("2927da70461cd63266f43230cc1849c0");
        assertThat(HEX.formatHex(r.rtmr(1))).startsWith("2c700b8ba9b85783f8be9fb9443647bd");
        assertThat(HEX.formatHex(r.rtmr(2))).startsWith("8652f0caaba7e215ea442dc36a4499d8");
        assertThat(r.rtmr(3)).isEqualTo(new byte[48]);
        assertThat(HEX.formatHex(r.reportData())).startsWith("6c62dec1b8191749a31dab490be532a3");
        assertThat(r.teeTcbSvn2()).isNull();
        assertThat(r.mrServiceTd()).isNull();
        assertThat(q.signedBytes()).hasSize(0x278);
        assertThat(q.attestationKey()).hasSize(64);
        assertThat(q.qeReport().isvProdId()).isEqualTo(2);
        assertThat(q.qeReport().isvSvn()).isEqualTo(4);
        assertThat(HEX.formatHex(q.qeReport().mrSigner()))
                .isEqualTo("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
        assertThat(HEX.formatHex(q.qeAuthData()))
                .isEqualTo("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        assertThat(new String(q.pckCertChain(), java.nio.charset.StandardCharsets.US_ASCII))
                .startsWith("-----BEGIN CERTIFICATE-----").contains("-----END CERTIFICATE-----");
        // go-tdx-guest appended "\nextra bytes(only for testing purpose)\n" after the signature data
        assertThat(q.trailingBytes()).isEqualTo(39);
    }

    @Test
    void parsesTheV5QuoteWithItsTdx15Body() throws TdxFormatException {
        TdxQuote q = TdxQuote.parse(Samples.bytes(Samples.GO_V5));
        assertThat(q.version()).isEqualTo(5);
        assertThat(q.report().type()).isEqualTo(TdReport.TYPE_TDX15);
        assertThat(q.signedBytes()).hasSize(48 + 6 + 648);
        assertThat(HEX.formatHex(q.report().teeTcbSvn())).isEqualTo("0b010400000000000000000000000000");
        assertThat(HEX.formatHex(q.report().teeTcbSvn2())).isEqualTo("0d010400000000000000000000000000");
        assertThat(q.report().mrServiceTd()).isEqualTo(new byte[48]);
        assertThat(q.report().tdAttributesValue()).isEqualTo(TdReport.ATTRIBUTE_SEPT_VE_DISABLE);
        assertThat(q.report().mrTdHex()).startsWith("7348651a34b2d2d3462822e3a750ec61");
        assertThat(q.qeReport().isvSvn()).isEqualTo(7);
        assertThat(q.trailingBytes()).isZero();
    }

    @Test
    void ignoresUnsignedPaddingAfterTheSignatureData() throws TdxFormatException {
        TdxQuote q = TdxQuote.parse(Samples.bytes(Samples.GO_COS));
        assertThat(q.version()).isEqualTo(4);
        assertThat(q.trailingBytes()).isEqualTo(8000 - 4935);
        assertThat(q.report().reportData()).isEqualTo(new byte[64]);
    }

    @Test
    void refusesMalformedQuotesNamingTheField() {
        byte[] q = Samples.bytes(Samples.GO_V4);
        assertField(null, "quote");
        assertField(new byte[0], "header");
        assertField(Arrays.copyOf(q, 100), "TD quote body");
        assertField(Arrays.copyOf(q, 0x278 + 2), "signature data length");
        assertField(Arrays.copyOf(q, 1000), "signature data");
        assertField(set16(q, 0, 3), "version");
        assertField(set16(q, 2, 3), "attestation key type");
        assertField(set16(q, 4, 0), "TEE type");
        assertField(set16(q, 0x278 + 4 + 128, 5), "certification data type");
        assertField(set16(q, 0x278 + 4 + 128 + 6 + 384 + 64 + 2 + 32, 4), "PCK certification data type");
        // the QE auth data size overruns the certification data
        assertField(set16(q, 0x278 + 4 + 128 + 6 + 384 + 64, 0xFFFF), "QE authentication data");
        // signature data length one byte longer than the certification data declares
        byte[] longer = q.clone();
        longer[0x278] += 1;
        assertField(longer, "certification data size");
        byte[] v5 = Samples.bytes(Samples.GO_V5);
        assertField(set16(v5, 48, 4), "body descriptor type");
        assertField(set16(v5, 50, 584), "body descriptor size");
    }

    private static byte[] set16(byte[] data, int off, int value) {
        byte[] out = data.clone();
        out[off] = (byte) value;
        out[off + 1] = (byte) (value >>> 8);
        return out;
    }

    private static void assertField(byte[] quote, String field) {
        assertThatThrownBy(() -> TdxQuote.parse(quote)).isInstanceOf(TdxFormatException.class)
                .satisfies(e -> assertThat(((TdxFormatException) e).field()).isEqualTo(field))
                .hasMessageStartingWith(field + ":");
    }
}
