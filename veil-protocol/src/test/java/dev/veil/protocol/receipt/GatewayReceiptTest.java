package dev.veil.protocol.receipt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GatewayReceiptTest {

    private static final SigningKey KEY = SigningKey.fromSeed(new byte[32]);
    private static final byte[] BODY = "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8);

    private static String json(String extra) {
        return "{\"v\":2,\"key_id\":\"" + GatewayReceipt.keyId(KEY.publicKey()) + "\",\"request_id\":\"req_1\","
                + "\"body_sha256\":\"" + GatewayReceipt.bodySha256(BODY) + "\",\"route\":\"r\",\"mode\":\"private\""
                + extra + "}";
    }

    private static GatewayReceipt signed(String json) {
        return GatewayReceipt.sign(json.getBytes(StandardCharsets.US_ASCII), KEY);
    }

    @Test
    void aSignedReceiptVerifiesFromItsHeadersAndStatesItsClaims() throws Exception {
        GatewayReceipt original = signed(json(",\"node\":{\"node_key_id\":\"nk\",\"format\":\"simulated\"},"
                + "\"tokens\":{\"prompt\":3,\"completion\":4},\"usage_estimated\":true"));
        GatewayReceipt received = GatewayReceipt.fromHeaders(original.text(), original.signatureText());
        assertThat(received).isEqualTo(original);
        assertThat(original.signatureText()).hasSize(86).doesNotContain("=", "+", "/");
        GatewayReceipt.Claims claims = received.verify(KEY.publicKey(), BODY, "req_1");
        assertThat(claims.route()).isEqualTo("r");
        assertThat(claims.nodeKeyId()).isEqualTo("nk");
        assertThat(claims.promptTokens()).isEqualTo(3);
        assertThat(claims.completionTokens()).isEqualTo(4);
        assertThat(claims.usageEstimated()).isTrue();
    }

    @Test
    void eachCheckFailsWithItsOwnReason() {
        GatewayReceipt receipt = signed(json(""));
        assertThatThrownBy(() -> receipt.verify(SigningKey.generate().publicKey(), BODY, null))
                .isInstanceOf(InvalidReceipt.class).hasMessageContaining("signature does not verify");
        assertThatThrownBy(() -> receipt.verify(KEY.publicKey(), "{}".getBytes(StandardCharsets.UTF_8), null))
                .hasMessageContaining("body_sha256");
        assertThatThrownBy(() -> receipt.verify(KEY.publicKey(), BODY, "req_2")).hasMessageContaining("request id");
        GatewayReceipt otherKeyId = signed(json("").replace(GatewayReceipt.keyId(KEY.publicKey()), "0000000000000000"));
        assertThatThrownBy(() -> otherKeyId.verify(KEY.publicKey(), BODY, null)).hasMessageContaining("names receipt key");
        assertThatThrownBy(() -> GatewayReceipt.fromHeaders(receipt.text(), null)).hasMessageContaining("unsigned");
        assertThatThrownBy(() -> GatewayReceipt.fromHeaders(null, "x")).hasMessageContaining("no x-veil-receipt");
        assertThatThrownBy(() -> GatewayReceipt.fromHeaders(receipt.text(), "not base64!"))
                .hasMessageContaining("base64url");
    }

    @Test
    void malformedReceiptsAreRefusedEvenWhenSigned() {
        for (String bad : new String[] {
                json("").replace("\"v\":2", "\"v\":1"),
                json(",\"route\":\"again\""),
                json("").replace(GatewayReceipt.bodySha256(BODY), "abc"),
                json("") + " {}",
                "[]",
                json(",\"tokens\":{\"prompt\":3}")}) {
            assertThatThrownBy(() -> signed(bad).claims()).as(bad).isInstanceOf(InvalidReceipt.class);
        }
    }

    @Test
    void aStreamsClosingReceiptIsItsLastTwoLines() throws Exception {
        GatewayReceipt receipt = signed(json(",\"tokens\":{\"prompt\":1,\"completion\":2}"));
        String closing = GatewayReceipt.COMMENT + receipt.text() + "\n" + GatewayReceipt.SIGNATURE_COMMENT
                + receipt.signatureText() + "\n\n";
        String stream = "data: {\"x\":1}\n\ndata: [DONE]\n\n" + closing;
        assertThat(GatewayReceipt.fromStreamTail(stream)).isEqualTo(receipt);
        assertThat(GatewayReceipt.fromStreamTail(stream).verify(KEY.publicKey(), BODY, "req_1").hasTokens()).isTrue();
        assertThatThrownBy(() -> GatewayReceipt.fromStreamTail("data: [DONE]\n\n"))
                .hasMessageContaining("does not end with");
        assertThatThrownBy(() -> GatewayReceipt.fromStreamTail("data: [DONE]\n\n" + GatewayReceipt.COMMENT
                + receipt.text() + "\n\n")).hasMessageContaining("unsigned");
        assertThatThrownBy(() -> GatewayReceipt.fromStreamTail(stream + "data: more\n\n"))
                .hasMessageContaining("not the end");
    }
}
