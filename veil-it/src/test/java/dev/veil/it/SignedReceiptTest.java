package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.veil.protocol.receipt.GatewayReceipt;
import dev.veil.protocol.receipt.InvalidReceipt;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.ProofVerifier;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every answer's privacy receipt is signed with the gateway's receipt key when the request asks for it with
 * {@code x-veil-sign-receipt: true}, as the SDK and veil proxy do (docs/privacy.md, "Signed receipts"): the
 * key is logged and published with its inclusion proof; a receipt verifies with that key alone, on the chat,
 * Responses and Messages endpoints, whole and streamed (header without counts, closing comment with them); it names
 * the request id and the SHA-256 of the body as sent, so another body fails; and a one-bit change of the receipt or
 * of its signature fails.
 */
@Timeout(60)
class SignedReceiptTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"sign me\"}]}";
    private static final String CHAT_STREAM = "{\"model\":\"test-chat\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"sign me\"}]}";

    @TempDir
    static Path dataDir;

    private static GatewayFixture fixture;
    private static byte[] receiptKey;

    @BeforeAll
    static void start() throws Exception {
        fixture = GatewayFixture.start(dataDir);
        receiptKey = publishedKey();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    @BeforeEach
    void reset() {
        fixture.upstream.reset();
    }

    /** The receipt key from its endpoint, taken only after its log entry and inclusion proof verified. */
    private static byte[] publishedKey() throws Exception {
        HttpResponse<String> answer = fixture.get("/v1/transparency/receipt-key");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode root = JSON.readTree(answer.body());
        byte[] key = Base64.getDecoder().decode(root.path("public_key").asText());
        String entry = root.path("entry").asText();
        assertThat(entry).isEqualTo("{\"type\":\"receipt_key\",\"public_key\":\"" + HexFormat.of().formatHex(key) + "\"}");
        assertThat(root.path("key_id").asText()).isEqualTo(GatewayReceipt.keyId(key));
        assertThat(root.path("public_key_pem").asText()).startsWith("-----BEGIN PUBLIC KEY-----\n");
        JsonNode h = root.path("tree_head");
        byte[] logKey = Base64.getDecoder().decode(h.path("log_key").asText());
        SignedTreeHead head = new SignedTreeHead(h.path("tree_size").asLong(), h.path("timestamp").asLong(),
                Base64.getDecoder().decode(h.path("root_hash").asText()),
                Base64.getDecoder().decode(h.path("signature").asText()));
        head.verify(logKey);
        List<byte[]> proof = new ArrayList<>();
        root.path("proof").forEach(p -> proof.add(Base64.getDecoder().decode(p.asText())));
        ProofVerifier.verifyInclusion(root.path("leaf_index").asLong(), head.treeSize(),
                MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8)), proof, head.rootHash());
        return key;
    }

    @Test
    void theKeyIsKeptInTheDataDirectoryAndLogged() throws Exception {
        Path file = dataDir.resolve("gateway-receipt.key");
        assertThat(file).exists();
        if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
        }
        JsonNode entries = JSON.readTree(fixture.get("/v1/transparency/entries").body()).path("entries");
        List<String> texts = new ArrayList<>();
        entries.forEach(e -> texts.add(e.path("entry").asText()));
        assertThat(texts).contains("{\"type\":\"receipt_key\",\"public_key\":\"" + HexFormat.of().formatHex(receiptKey)
                + "\"}");
    }

    @Test
    void aWholeChatAnswerFromTheOpenAiClientCarriesAReceiptThatVerifies() throws Exception {
        // Any OpenAI client can ask for the signature with one extra header.
        OpenAIClient client = com.openai.client.okhttp.OpenAIOkHttpClient.builder().baseUrl(fixture.baseUrl())
                .apiKey(fixture.apiKey).maxRetries(0).putHeader(GatewayReceipt.SIGN_REQUEST_HEADER, "true").build();
        try (var raw = client.chat().completions().withRawResponse().create(ChatCompletionCreateParams.builder()
                .model("test-chat").addUserMessage("sign me").build())) {
            GatewayReceipt receipt = GatewayReceipt.fromHeaders(raw.headers().values(GatewayReceipt.HEADER).get(0),
                    raw.headers().values(GatewayReceipt.SIGNATURE_HEADER).get(0));
            assertThat(receipt.verifies(receiptKey)).isTrue();
            GatewayReceipt.Claims claims = receipt.claims();
            assertThat(claims.requestId()).isEqualTo(raw.requestId().orElseThrow());
            assertThat(claims.route()).isEqualTo("fake-zdr");
            assertThat(claims.mode()).isEqualTo("private");
            assertThat(claims.hasTokens()).as("a whole answer's counts are known when its headers leave").isTrue();
            assertThat(claims.nodeKeyId()).isNull();
            assertThat(raw.parse().choices()).hasSize(1);
        } finally {
            client.close();
        }
    }

    @Test
    void withoutTheRequestHeaderTheReceiptComesUnsignedWholeAndStreamed() throws Exception {
        // Signing costs about 40 µs of CPU per answer, so it is done for callers that ask (the SDK and proxy do).
        for (String askedFor : new String[] {null, "false", "yes"}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                    .header("authorization", "Bearer " + fixture.apiKey).header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(CHAT_STREAM));
            if (askedFor != null) {
                request.header(GatewayReceipt.SIGN_REQUEST_HEADER, askedFor);
            }
            HttpResponse<String> response = fixture.send(request);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().firstValue(GatewayReceipt.HEADER)).as(askedFor).isPresent();
            assertThat(response.headers().firstValue(GatewayReceipt.SIGNATURE_HEADER)).as(askedFor).isEmpty();
            assertThat(response.body()).as(askedFor).containsPattern("data: \\[DONE\\]\n\n: veil-receipt \\{[^\n]*"
                    + "\"tokens\":[^\n]*\\}\n\n$").doesNotContain("veil-receipt-signature");
        }
        HttpResponse<String> whole = fixture.post("/v1/chat/completions", CHAT);
        assertThat(whole.headers().firstValue(GatewayReceipt.SIGNATURE_HEADER)).isEmpty();
        assertThatThrownBy(() -> fromHeaders(whole)).isInstanceOf(InvalidReceipt.class).hasMessageContaining("unsigned");
        assertThat(JSON.readTree(whole.headers().firstValue(GatewayReceipt.HEADER).orElseThrow())
                .path("request_id").asText()).isEqualTo(requestId(whole));
    }

    @Test
    void anOperatorCanHaveEveryReceiptSigned(@TempDir Path otherDir) throws Exception {
        GatewayFixture always = GatewayFixture.withServer(otherDir, 5_000, "  sign_receipts: always\n");
        try {
            HttpResponse<String> unasked = always.post("/v1/chat/completions", CHAT);
            assertThat(unasked.statusCode()).as(unasked.body()).isEqualTo(200);
            byte[] key = Base64.getDecoder().decode(JSON.readTree(always.get("/v1/transparency/receipt-key").body())
                    .path("public_key").asText());
            assertThat(fromHeaders(unasked).verify(key, CHAT.getBytes(StandardCharsets.UTF_8), requestId(unasked))
                    .hasTokens()).isTrue();
        } finally {
            always.close();
        }
    }

    @Test
    void aWholeChatReceiptBindsTheBodyAsSentAndKeepsItsFields() throws Exception {
        HttpResponse<String> response = signed("/v1/chat/completions", CHAT);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        GatewayReceipt receipt = fromHeaders(response);
        GatewayReceipt.Claims claims = receipt.verify(receiptKey, CHAT.getBytes(StandardCharsets.UTF_8), requestId(response));
        assertThat(claims.promptTokens()).isPositive();
        JsonNode json = JSON.readTree(receipt.text());
        assertThat(json.path("v").asInt()).isEqualTo(2);
        assertThat(json.path("veil_stored").path("content").asBoolean(true)).isFalse();
        assertThat(json.path("veil_stored").path("metadata").asText()).isEqualTo("request_log");
        assertThat(json.path("provider_policy").path("jurisdiction").asText()).isEqualTo("EU");
        assertThat(receipt.text()).doesNotContain("sign me");

        // The same receipt does not vouch for another body, nor for another request id.
        assertThatThrownBy(() -> receipt.verify(receiptKey, CHAT.replace("sign me", "sign mf")
                .getBytes(StandardCharsets.UTF_8), null)).isInstanceOf(InvalidReceipt.class)
                .hasMessageContaining("body_sha256");
        assertThatThrownBy(() -> receipt.verify(receiptKey, CHAT.getBytes(StandardCharsets.UTF_8), "req_other"))
                .isInstanceOf(InvalidReceipt.class).hasMessageContaining("request id");
        // A second request with another body gets its own hash.
        String other = CHAT.replace("sign me", "and me");
        HttpResponse<String> second = signed("/v1/chat/completions", other);
        GatewayReceipt.Claims secondClaims = fromHeaders(second).verify(receiptKey,
                other.getBytes(StandardCharsets.UTF_8), requestId(second));
        assertThat(secondClaims.bodySha256()).isNotEqualTo(claims.bodySha256());
    }

    @Test
    void aOneBitChangeOfTheReceiptOrItsSignatureFails() throws Exception {
        HttpResponse<String> response = signed("/v1/chat/completions", CHAT);
        GatewayReceipt receipt = fromHeaders(response);
        assertThat(receipt.verifies(receiptKey)).isTrue();
        byte[] json = receipt.json();
        byte[] signature = receipt.signature();
        for (int bit = 0; bit < json.length * 8; bit++) {
            byte[] flipped = json.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(new GatewayReceipt(flipped, signature).verifies(receiptKey)).as("receipt bit %d", bit).isFalse();
        }
        for (int bit = 0; bit < signature.length * 8; bit++) {
            byte[] flipped = signature.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(new GatewayReceipt(json, flipped).verifies(receiptKey)).as("signature bit %d", bit).isFalse();
        }
        byte[] otherKey = dev.veil.protocol.e2ee.SigningKey.generate().publicKey();
        assertThat(receipt.verifies(otherKey)).isFalse();
    }

    @Test
    void aStreamsHeaderReceiptHasNoCountsAndItsClosingReceiptHasThemBothSigned() throws Exception {
        HttpResponse<String> response = signed("/v1/chat/completions", CHAT_STREAM);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        byte[] sent = CHAT_STREAM.getBytes(StandardCharsets.UTF_8);
        GatewayReceipt.Claims header = fromHeaders(response).verify(receiptKey, sent, requestId(response));
        assertThat(header.hasTokens()).isFalse();
        assertThat(response.body()).containsPattern("data: \\[DONE\\]\n\n: veil-receipt \\{[^\n]*\\}\n"
                + ": veil-receipt-signature [A-Za-z0-9_-]{86}\n\n$");
        GatewayReceipt closing = GatewayReceipt.fromStreamTail(response.body());
        GatewayReceipt.Claims last = closing.verify(receiptKey, sent, requestId(response));
        assertThat(last.hasTokens()).isTrue();
        assertThat(last.completionTokens()).isPositive();
        assertThat(last.bodySha256()).isEqualTo(header.bodySha256());
    }

    @Test
    void responsesAnswersAreSignedWholeAndStreamed() throws Exception {
        String whole = "{\"model\":\"test-chat\",\"input\":\"sign me\"}";
        HttpResponse<String> response = signed("/v1/responses", whole);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(fromHeaders(response).verify(receiptKey, whole.getBytes(StandardCharsets.UTF_8), requestId(response))
                .hasTokens()).isTrue();

        String stream = "{\"model\":\"test-chat\",\"input\":\"sign me\",\"stream\":true}";
        HttpResponse<String> streamed = signed("/v1/responses", stream);
        assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
        byte[] sent = stream.getBytes(StandardCharsets.UTF_8);
        fromHeaders(streamed).verify(receiptKey, sent, requestId(streamed));
        assertThat(GatewayReceipt.fromStreamTail(streamed.body()).verify(receiptKey, sent, requestId(streamed))
                .hasTokens()).isTrue();
    }

    @Test
    void messagesAnswersAreSignedWholeAndStreamed() throws Exception {
        String whole = "{\"model\":\"test-chat\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"sign me\"}]}";
        HttpResponse<String> response = messages(whole);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(fromHeaders(response).verify(receiptKey, whole.getBytes(StandardCharsets.UTF_8), requestId(response))
                .hasTokens()).isTrue();

        String stream = whole.replace("{\"model\"", "{\"stream\":true,\"model\"");
        HttpResponse<String> streamed = messages(stream);
        assertThat(streamed.statusCode()).as(streamed.body()).isEqualTo(200);
        byte[] sent = stream.getBytes(StandardCharsets.UTF_8);
        assertThat(fromHeaders(streamed).verify(receiptKey, sent, requestId(streamed)).hasTokens()).isFalse();
        assertThat(GatewayReceipt.fromStreamTail(streamed.body()).verify(receiptKey, sent, requestId(streamed))
                .hasTokens()).isTrue();
    }

    private static HttpResponse<String> messages(String body) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/messages"))
                .header("x-api-key", fixture.apiKey).header("anthropic-version", "2023-06-01")
                .header(GatewayReceipt.SIGN_REQUEST_HEADER, "true")
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** POSTs JSON with the fixture's key, asking for a signed receipt as the SDK and veil proxy do. */
    private static HttpResponse<String> signed(String path, String json) {
        return fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + path))
                .header("authorization", "Bearer " + fixture.apiKey).header("content-type", "application/json")
                .header(GatewayReceipt.SIGN_REQUEST_HEADER, "true").POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private static GatewayReceipt fromHeaders(HttpResponse<?> response) throws InvalidReceipt {
        return GatewayReceipt.fromHeaders(response.headers().firstValue(GatewayReceipt.HEADER).orElse(null),
                response.headers().firstValue(GatewayReceipt.SIGNATURE_HEADER).orElse(null));
    }

    private static String requestId(HttpResponse<?> response) {
        return response.headers().firstValue("x-request-id").orElseThrow();
    }
}
