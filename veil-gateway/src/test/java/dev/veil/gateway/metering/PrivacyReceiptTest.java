package dev.veil.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.RequestLogMode;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.receipt.GatewayReceipt;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrivacyReceiptTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SigningKey KEY = SigningKey.generate();
    private static final byte[] BODY = "{\"model\":\"m\"}".getBytes(StandardCharsets.UTF_8);

    private static Route route(String name, String jurisdiction) {
        String yaml = """
                upstreams:
                  - {name: up, base_url: "http://127.0.0.1:9/v1"}
                models:
                  - id: m
                    routes:
                      - name: "%s"
                        upstream: up
                        policy: {trains: false, retention_days: 0, zdr: true, jurisdiction: "%s"}
                """.formatted(name, jurisdiction);
        return ModelCatalog.from(ConfigLoader.parse(yaml, Map.of()), Map.of()).find("m").routes().get(0);
    }

    private static PrivacyReceipt receipts() {
        return new PrivacyReceipt(new JsonWriter(new JsonFactory()), new MetadataMinimisation(RequestLogMode.MINUTE, 7),
                KEY);
    }

    @Test
    void theReceiptIsAsciiEvenForANonAsciiJurisdictionAndVerifiesAsSent() throws Exception {
        GatewayReceipt signed = receipts().issue("req_1", null, route("route-1", "Zürich"), BODY, false, null, true)
                .sign(new Usage(5, 6, 11, true));
        String text = signed.text();
        assertThat(text.chars().allMatch(c -> c < 0x80)).as(text).isTrue();
        assertThat(text).contains("Z\\u00FCrich");
        GatewayReceipt.Claims claims = GatewayReceipt.fromHeaders(text, signed.signatureText())
                .verify(KEY.publicKey(), BODY, "req_1");
        assertThat(claims.promptTokens()).isEqualTo(5);
        assertThat(claims.usageEstimated()).isTrue();
        JsonNode json = JSON.readTree(text);
        assertThat(json.path("provider_policy").path("jurisdiction").asText()).isEqualTo("Zürich");
        assertThat(json.path("veil_stored").path("time").asText()).isEqualTo("minute");
        assertThat(json.path("veil_stored").path("retention_days").asInt()).isEqualTo(7);
        assertThat(text).endsWith(",\"tokens\":{\"prompt\":5,\"completion\":6},\"usage_estimated\":true}");
    }

    @Test
    void eachRequestGetsItsOwnIdAndHashFromTheSameCachedRendering() throws Exception {
        PrivacyReceipt receipts = receipts();
        Route route = route("route-1", "EU");
        GatewayReceipt a = receipts.issue("req_a", null, route, BODY, false, null, true).sign(null);
        byte[] other = "{\"model\":\"n\"}".getBytes(StandardCharsets.UTF_8);
        GatewayReceipt b = receipts.issue("req_b", null, route, other, true, null, true).sign(null);
        assertThat(a.claims().requestId()).isEqualTo("req_a");
        assertThat(a.claims().mode()).isEqualTo("private");
        assertThat(a.claims().hasTokens()).isFalse();
        assertThat(b.verify(KEY.publicKey(), other, "req_b").mode()).isEqualTo("e2ee");
        assertThat(a.claims().bodySha256()).isNotEqualTo(b.claims().bodySha256());
        assertThat(a.claims().keyId()).isEqualTo(receipts.keyId()).isEqualTo(GatewayReceipt.keyId(KEY.publicKey()));
    }

    @Test
    void aStreamsClosingCommentCarriesTheSignedReceiptWithItsCounts() throws Exception {
        PrivacyReceipt.Issued issued = receipts().issue("req_s", null, route("route-1", "EU"), BODY, false, null, true);
        String closing = issued.closingComment(new Usage(1, 2, 3));
        assertThat(closing).startsWith(": veil-receipt {").endsWith("\n\n");
        GatewayReceipt.Claims claims = GatewayReceipt.fromStreamTail("data: [DONE]\n\n" + closing)
                .verify(KEY.publicKey(), BODY, "req_s");
        assertThat(claims.completionTokens()).isEqualTo(2);
        assertThat(claims.usageEstimated()).isFalse();
    }

    @Test
    void anUnaskedReceiptIsTheSameTextWithoutASignature() throws Exception {
        PrivacyReceipt receipts = receipts();
        PrivacyReceipt.Issued unsigned = receipts.issue("req_u", null, route("route-1", "EU"), BODY, false, null, false);
        PrivacyReceipt.Issued signed = receipts.issue("req_u", null, route("route-1", "EU"), BODY, false, null, true);
        io.vertx.core.MultiMap headers = io.vertx.core.MultiMap.caseInsensitiveMultiMap();
        unsigned.addHeaders(headers, new Usage(1, 2, 3));
        assertThat(unsigned.signed()).isFalse();
        assertThat(headers.get(GatewayReceipt.HEADER)).isEqualTo(signed.sign(new Usage(1, 2, 3)).text());
        assertThat(headers.get(GatewayReceipt.SIGNATURE_HEADER)).isNull();
        assertThat(unsigned.closingComment(new Usage(1, 2, 3))).startsWith(": veil-receipt {").endsWith("}\n\n")
                .doesNotContain("veil-receipt-signature");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> unsigned.sign(null))
                .isInstanceOf(IllegalStateException.class);
        assertThat(PrivacyReceipt.signatureRequested("true")).isTrue();
        assertThat(PrivacyReceipt.signatureRequested(" TRUE ")).isTrue();
        assertThat(PrivacyReceipt.signatureRequested(null)).isFalse();
        assertThat(PrivacyReceipt.signatureRequested("1")).isFalse();
    }
}
