package dev.veil.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.receipt.GatewayReceipt;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The SDK verifies the gateway's signed receipt (docs/privacy.md, "Signed receipts") before it releases any of the
 * answer, hands it to the caller, and refuses a forged, altered, unsigned or misbound one.
 */
@Timeout(30)
class GatewayReceiptClientTest {

    static final String CHAT = "/v1/chat/completions";
    static final byte[] WHOLE = "{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
            .getBytes(StandardCharsets.UTF_8);
    static final byte[] STREAM = "{\"model\":\"test-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
            .getBytes(StandardCharsets.UTF_8);

    static FakeNode node;

    @BeforeAll
    static void start() throws Exception {
        node = new FakeNode();
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
    }

    @BeforeEach
    void reset() {
        node.reset();
    }

    static VeilClient client() {
        return VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV).build();
    }

    @Test
    void aWholeAnswerHandsOnTheVerifiedReceiptBoundToTheSealedBody() throws Exception {
        try (VeilClient veil = client()) {
            E2eeResponse answer = veil.send(CHAT, FakeNode.MODEL, WHOLE);
            VerifiedGatewayReceipt receipt = answer.gatewayReceipt();
            assertThat(receipt).isNotNull();
            assertThat(receipt.claims().route()).isEqualTo("fake-node");
            assertThat(receipt.claims().mode()).isEqualTo("e2ee");
            assertThat(receipt.claims().keyId()).isEqualTo(GatewayReceipt.keyId(node.receiptKey.publicKey()));
            assertThat(receipt.receipt().verifies(node.receiptKey.publicKey())).isTrue();
            assertThat(veil.gatewayReceiptKey()).isEqualTo(node.receiptKey.publicKey());
        }
    }

    @Test
    void aStreamDeliversTheReceiptFirst() throws Exception {
        List<String> order = new ArrayList<>();
        try (VeilClient veil = client()) {
            veil.stream(CHAT, FakeNode.MODEL, STREAM, new StreamListener() {
                @Override
                public void onGatewayReceipt(VerifiedGatewayReceipt receipt) {
                    order.add("gateway-receipt:" + receipt.claims().route());
                }

                @Override
                public void onHead(int status, String contentType) {
                    order.add("head");
                }

                @Override
                public void onChunk(byte[] data) {
                    order.add("chunk");
                }
            });
        }
        assertThat(order.get(0)).isEqualTo("gateway-receipt:fake-node");
        assertThat(order).contains("head", "chunk");
    }

    @Test
    void aForgedReceiptIsRefusedBeforeAnyChunk() throws Exception {
        for (FakeNode.Mode bad : List.of(FakeNode.Mode.GATEWAY_RECEIPT_FORGED, FakeNode.Mode.GATEWAY_RECEIPT_BIT_FLIPPED,
                FakeNode.Mode.GATEWAY_RECEIPT_OTHER_BODY, FakeNode.Mode.GATEWAY_RECEIPT_MISSING)) {
            node.mode = bad;
            List<String> delivered = new ArrayList<>();
            try (VeilClient veil = client()) {
                assertThatThrownBy(() -> veil.stream(CHAT, FakeNode.MODEL, STREAM, data -> delivered.add("chunk")))
                        .as(bad.name()).isInstanceOf(E2eeException.BadReceipt.class)
                        .hasMessageStartingWith("gateway receipt:");
            }
            assertThat(delivered).as(bad.name()).isEmpty();
        }
    }

    @Test
    void theBodyHashNamesTheBodyThatWasSent() throws Exception {
        node.mode = FakeNode.Mode.GATEWAY_RECEIPT_OTHER_BODY;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE))
                    .isInstanceOf(E2eeException.BadReceipt.class)
                    .hasMessageContaining("body_sha256");
        }
    }

    @Test
    void aReceiptKeyNotInTheLogIsRefused() throws Exception {
        node.mode = FakeNode.Mode.RECEIPT_KEY_NOT_LOGGED;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE))
                    .isInstanceOf(E2eeException.BadReceipt.class)
                    .hasMessageStartingWith("gateway receipt key:");
        }
    }

    @Test
    void aReceiptKeyLoggedInAForkOfTheKeptLogIsASplitView(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        // This client has already accepted a head of the same size whose root differs: the log it was shown for nodes.
        byte[] otherRoot = new byte[32];
        otherRoot[0] = 1;
        java.nio.file.Path file = dir.resolve("heads.json");
        new dev.veil.client.transparency.HeadFile(file).write(List.of(new dev.veil.client.transparency.LogHead(
                dev.veil.protocol.transparency.SignedTreeHead.sign(node.logKey, 2, System.currentTimeMillis(), otherRoot),
                node.logKey.publicKey())));
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .treeHeadFile(file).build()) {
            assertThatThrownBy(veil::gatewayReceiptKey).isInstanceOf(TransparencyException.SplitView.class);
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE))
                    .isInstanceOf(TransparencyException.SplitView.class);
        }
        // The control: with nothing kept, the same answer is accepted and its head kept.
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .treeHeadFile(dir.resolve("fresh.json")).build()) {
            assertThat(veil.gatewayReceiptKey()).isEqualTo(node.receiptKey.publicKey());
        }
        assertThat(new dev.veil.client.transparency.HeadFile(dir.resolve("fresh.json")).read()).hasSize(1);
    }

    @Test
    void aPinnedLogKeyMustSignTheReceiptKeysTreeHead() throws Exception {
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .transparencyLogKey(SigningKey.generate().publicKey()).build()) {
            assertThatThrownBy(veil::gatewayReceiptKey).isInstanceOf(E2eeException.BadReceipt.class)
                    .hasMessageContaining("pinned");
        }
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .transparencyLogKey(node.logKey.publicKey()).build()) {
            assertThat(veil.gatewayReceiptKey()).isEqualTo(node.receiptKey.publicKey());
        }
    }

    @Test
    void aPinnedReceiptKeyIsUsedAndAnotherOneRefused() throws Exception {
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .gatewayReceiptKey(node.receiptKey.publicKey()).build()) {
            assertThat(veil.send(CHAT, FakeNode.MODEL, WHOLE).gatewayReceipt()).isNotNull();
        }
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .gatewayReceiptKey(SigningKey.generate().publicKey()).build()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE))
                    .isInstanceOf(E2eeException.BadReceipt.class).hasMessageContaining("does not verify");
        }
    }
}
