package dev.veil.protocol.gatewayauth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class GatewaySignatureTest {

    private static final byte[] SECRET = "veil_nc_0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BODY = "{\"ciphertext\":\"...\"}".getBytes(StandardCharsets.UTF_8);
    private static final long NOW = 1_796_000_000_000L;

    @Test
    void aSignatureVerifiesOverWhatWasSignedOnly() {
        GatewaySignature.Presented p = GatewaySignature.parse(
                GatewaySignature.sign(SECRET, "POST", "/v1/chat/completions", BODY, NOW));

        assertThat(p).isNotNull();
        assertThat(p.keyId()).isEqualTo(GatewaySignature.keyId(SECRET));
        assertThat(p.timeMillis()).isEqualTo(NOW);
        byte[] digest = GatewaySignature.bodyDigest(BODY);
        assertThat(p.verifies(SECRET, "POST", "/v1/chat/completions", digest)).isTrue();
        assertThat(p.verifies(SECRET, "GET", "/v1/chat/completions", digest)).isFalse();
        assertThat(p.verifies(SECRET, "POST", "/v1/responses", digest)).isFalse();
        assertThat(p.verifies(SECRET, "POST", "/v1/chat/completions", GatewaySignature.bodyDigest(new byte[0]))).isFalse();
        assertThat(p.verifies("another".getBytes(StandardCharsets.UTF_8), "POST", "/v1/chat/completions", digest))
                .isFalse();
        for (int bit = 0; bit < BODY.length * 8; bit++) {
            byte[] flipped = BODY.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(p.verifies(SECRET, "POST", "/v1/chat/completions", GatewaySignature.bodyDigest(flipped)))
                    .as("bit %d", bit).isFalse();
        }
    }

    @Test
    void theTimeAndNonceAreCoveredByTheSignature() {
        String header = GatewaySignature.sign(SECRET, "GET", "/v1/attestation?nonce=ab", null, NOW);
        GatewaySignature.Presented p = GatewaySignature.parse(header);
        byte[] empty = GatewaySignature.bodyDigest(null);
        assertThat(p.verifies(SECRET, "GET", "/v1/attestation?nonce=ab", empty)).isTrue();

        GatewaySignature.Presented later = GatewaySignature.parse(header.replace("t=" + NOW, "t=" + (NOW + 1)));
        assertThat(later.verifies(SECRET, "GET", "/v1/attestation?nonce=ab", empty)).isFalse();
        String otherNonce = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[16]);
        GatewaySignature.Presented renonced = GatewaySignature.parse(header.replace("n=" + p.nonce(), "n=" + otherNonce));
        assertThat(renonced.verifies(SECRET, "GET", "/v1/attestation?nonce=ab", empty)).isFalse();
    }

    @Test
    void everySignatureHasItsOwnNonce() {
        String a = GatewaySignature.parse(GatewaySignature.sign(SECRET, "GET", "/x", null, NOW)).nonce();
        String b = GatewaySignature.parse(GatewaySignature.sign(SECRET, "GET", "/x", null, NOW)).nonce();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void freshnessIsTheAllowedSkewEitherWay() {
        GatewaySignature.Presented p = GatewaySignature.parse(GatewaySignature.sign(SECRET, "GET", "/x", null, NOW));
        assertThat(p.fresh(NOW + GatewaySignature.MAX_SKEW_MS)).isTrue();
        assertThat(p.fresh(NOW - GatewaySignature.MAX_SKEW_MS)).isTrue();
        assertThat(p.fresh(NOW + GatewaySignature.MAX_SKEW_MS + 1)).isFalse();
        assertThat(p.fresh(NOW - GatewaySignature.MAX_SKEW_MS - 1)).isFalse();
    }

    @Test
    void malformedHeadersParseAsNothing() {
        String good = GatewaySignature.sign(SECRET, "GET", "/x", null, NOW);
        List<String> bad = List.of("", "v1", "Bearer " + new String(SECRET, StandardCharsets.UTF_8),
                good.replace("v1;", "v2;"), good.replace("kid=", "key="), good.replace("t=" + NOW, "t=-1"),
                good.replace("t=" + NOW, "t=12345678901234567890"), good.replace("t=" + NOW, "t="),
                good + "; extra=1", good.replace("sig=", "sig=AA"), good.replace("n=", "n=AA"),
                good.replace("kid=", "kid=AA"), good.replace("sig=", "sig=*"), good + " ".repeat(600));
        for (String header : bad) {
            assertThat(GatewaySignature.parse(header)).as(header).isNull();
        }
        assertThat(GatewaySignature.parse(null)).isNull();
        assertThat(GatewaySignature.parse(good)).isNotNull();
        assertThat(good).doesNotContain(new String(SECRET, StandardCharsets.UTF_8));
    }
}
