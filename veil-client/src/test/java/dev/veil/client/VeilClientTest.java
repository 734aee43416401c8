package dev.veil.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.Receipt;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class VeilClientTest {

    static final String CHAT = "/v1/chat/completions";
    static final byte[] WHOLE = json("{\"model\":\"test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"secret prompt\"}]}");
    static final byte[] STREAM = json("{\"model\":\"test-model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");

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

    static byte[] json(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static VeilClient client(AttestationPolicy policy) {
        return VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(policy).build();
    }

    static VeilClient client() {
        return client(FakeNode.DEV);
    }

    /** Collects what a stream delivers. */
    static final class Events implements StreamListener {
        final List<String> order = new ArrayList<>();
        final List<String> chunks = new ArrayList<>();
        int status;
        String contentType;
        Receipt receipt;
        Runnable onFirstChunk;

        @Override
        public void onHead(int status, String contentType) {
            order.add("head");
            this.status = status;
            this.contentType = contentType;
        }

        @Override
        public void onChunk(byte[] data) {
            order.add("chunk");
            chunks.add(new String(data, StandardCharsets.UTF_8));
            if (chunks.size() == 1 && onFirstChunk != null) {
                onFirstChunk.run();
            }
        }

        @Override
        public void onReceipt(Receipt receipt) {
            order.add("receipt");
            this.receipt = receipt;
        }
    }

    @Test
    void sendsAWholeChatEncryptedAndVerifiesItsReceipt() throws Exception {
        try (VeilClient veil = client()) {
            E2eeResponse answer = veil.send(CHAT, FakeNode.MODEL, WHOLE);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.contentType()).isEqualTo("application/json");
            assertThat(answer.bodyText()).contains("\"content\":\"echo: secret prompt\"");
            assertThat(answer.receipt().promptTokens()).isEqualTo(7);
            assertThat(answer.receipt().completionTokens()).isEqualTo(3);
            assertThat(answer.receipt().nodeKeyId()).isEqualTo(node.nodeKeyId());
            assertThat(answer.receipt().path()).isEqualTo(CHAT);
            assertThat(answer.node().simulated()).isTrue();
            assertThat(answer.node().measurement()).isEqualTo(E2ee.hex(FakeNode.MEASUREMENT));
            assertThat(answer.toString()).doesNotContain("secret");
            assertThat(node.plaintexts).containsExactly(new String(WHOLE, StandardCharsets.UTF_8));
        }
    }

    @Test
    void sendsEmbeddingsAndCompletionsPathsWithOrWithoutTheV1Prefix() throws Exception {
        try (VeilClient veil = client()) {
            E2eeResponse answer = veil.send("/embeddings", FakeNode.MODEL, json("{\"model\":\"test-model\",\"input\":\"x\"}"));
            assertThat(answer.bodyText()).contains("\"embedding\":[0.25,-0.5]");
            assertThat(answer.receipt().path()).isEqualTo("/v1/embeddings");
            assertThat(veil.send("/v1/completions", FakeNode.MODEL, json("{\"model\":\"test-model\",\"prompt\":\"x\"}"))
                    .status()).isEqualTo(200);
        }
    }

    @Test
    void streamsEachEventAsItArrivesThenTheVerifiedReceipt() throws Exception {
        CompletableFuture<Boolean> gate = new CompletableFuture<>();
        node.gate = gate;
        Events events = new Events();
        events.onFirstChunk = () -> gate.complete(true);
        try (VeilClient veil = client()) {
            veil.stream(CHAT, FakeNode.MODEL, STREAM, events);
        }
        // The node held back everything after the first event until the client had it: nothing was buffered.
        assertThat(node.gateOpened).isTrue();
        assertThat(events.status).isEqualTo(200);
        assertThat(events.contentType).isEqualTo("text/event-stream");
        assertThat(events.chunks).containsExactlyElementsOf(FakeNode.EVENTS);
        assertThat(events.order).first().isEqualTo("head");
        assertThat(events.order).last().isEqualTo("receipt");
        assertThat(events.receipt.completionTokens()).isEqualTo(3);
    }

    @Test
    void sendOfAStreamingBodyReturnsTheConcatenatedEvents() throws Exception {
        try (VeilClient veil = client()) {
            E2eeResponse answer = veil.send(CHAT, FakeNode.MODEL, STREAM);
            assertThat(answer.bodyText()).isEqualTo(String.join("", FakeNode.EVENTS));
        }
    }

    @Test
    void returnsTheEnginesOwnErrorFromTheEncryptedHead() throws Exception {
        node.mode = FakeNode.Mode.ENGINE_ERROR;
        try (VeilClient veil = client()) {
            E2eeResponse answer = veil.send(CHAT, FakeNode.MODEL, WHOLE);
            assertThat(answer.status()).isEqualTo(400);
            assertThat(answer.bodyText()).contains("invalid_value");
        }
    }

    // ---- attestation -----------------------------------------------------------------------------------------------

    @Test
    void refusesSimulatedEvidenceUnlessAllowed() {
        try (VeilClient veil = client(AttestationPolicy.HARDWARE_ONLY)) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE))
                    .isInstanceOf(AttestationException.SimulatedNotAllowed.class);
        }
        assertThat(node.inferences).hasValue(0);
    }

    @Test
    void refusesEvidenceMadeForAnotherNonce() {
        node.mode = FakeNode.Mode.WRONG_NONCE;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.attest(FakeNode.MODEL)).isInstanceOf(AttestationException.NonceMismatch.class);
        }
    }

    @Test
    void refusesAMeasurementNotOnTheAllowList() {
        AttestationPolicy policy = new AttestationPolicy(Set.of(), Set.of("ab".repeat(48)), true);
        try (VeilClient veil = client(policy)) {
            assertThatThrownBy(() -> veil.attest(FakeNode.MODEL))
                    .isInstanceOf(AttestationException.UnknownMeasurement.class);
        }
        AttestationPolicy allowed = new AttestationPolicy(Set.of(), Set.of(E2ee.hex(FakeNode.MEASUREMENT)), true);
        try (VeilClient veil = client(allowed)) {
            assertThat(catchThrowable(() -> veil.attest(FakeNode.MODEL))).isNull();
        }
    }

    @Test
    void refusesEvidenceWhoseKeyIsNotBound() {
        node.mode = FakeNode.Mode.KEY_NOT_BOUND;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.attest(FakeNode.MODEL)).isInstanceOf(AttestationException.KeyNotBound.class);
        }
    }

    @Test
    void refusesAFormatThePolicyDoesNotList() {
        try (VeilClient veil = client(new AttestationPolicy(Set.of("sev-snp"), Set.of(), true))) {
            assertThatThrownBy(() -> veil.attest(FakeNode.MODEL))
                    .isInstanceOf(AttestationException.FormatNotAllowed.class);
        }
    }

    @Test
    void takesTheFirstNodeThatVerifies() throws Exception {
        node.mode = FakeNode.Mode.FIRST_NODE_STALE;
        try (VeilClient veil = client()) {
            assertThat(veil.attest(FakeNode.MODEL).nodeKeyId()).isEqualTo(node.nodeKeyId());
        }
    }

    @Test
    void acceptsANodesOwnSingleEvidenceShape() throws Exception {
        node.mode = FakeNode.Mode.NODE_SHAPE;
        try (VeilClient veil = client()) {
            VerifiedNode verified = veil.attest(FakeNode.MODEL);
            assertThat(verified.nodeKeyId()).isEqualTo(node.nodeKeyId());
            assertThat(verified.model()).isEqualTo(FakeNode.MODEL);
        }
    }

    @Test
    void saysSoWhenNoNodeIsOffered() {
        node.mode = FakeNode.Mode.EMPTY_NODES;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.attest(FakeNode.MODEL)).isInstanceOf(NoEvidenceException.class)
                    .extracting(e -> ((NoEvidenceException) e).code()).isEqualTo("attestation_no_evidence");
        }
    }

    @Test
    void cachesTheVerifiedNodeForTheTtl() throws Exception {
        try (VeilClient veil = client()) {
            veil.send(CHAT, FakeNode.MODEL, WHOLE);
            veil.send(CHAT, FakeNode.MODEL, WHOLE);
            assertThat(node.attestations).hasValue(1);
            assertThat(veil.cachedNode(FakeNode.MODEL)).isPresent();
        }
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey(FakeNode.API_KEY).policy(FakeNode.DEV)
                .attestationTtl(Duration.ZERO).build()) {
            veil.attest(FakeNode.MODEL);
            veil.attest(FakeNode.MODEL);
            assertThat(node.attestations).hasValue(3);
        }
    }

    // ---- the encrypted answer --------------------------------------------------------------------------------------

    @Test
    void refusesAReorderedFrame() {
        node.mode = FakeNode.Mode.REORDER;
        assertStreamFails(E2eeException.FrameRejected.class, 0);
    }

    @Test
    void refusesADroppedFrame() {
        node.mode = FakeNode.Mode.DROP;
        assertStreamFails(E2eeException.FrameRejected.class, 0);
    }

    @Test
    void refusesATamperedFrame() {
        node.mode = FakeNode.Mode.TAMPER_FIRST_EVENT;
        assertStreamFails(E2eeException.FrameRejected.class, 0);
    }

    @Test
    void refusesATamperedFinalFrameAfterTheEventsBefore() {
        node.mode = FakeNode.Mode.TAMPER_FINAL;
        Events events = assertStreamFails(E2eeException.FrameRejected.class, FakeNode.EVENTS.size());
        assertThat(events.order).doesNotContain("receipt");
    }

    @Test
    void refusesATruncatedAnswer() {
        node.mode = FakeNode.Mode.TRUNCATE;
        assertStreamFails(E2eeException.Truncated.class, FakeNode.EVENTS.size());
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE)).isInstanceOf(E2eeException.Truncated.class);
        }
    }

    @Test
    void refusesAConnectionThatBreaksMidAnswer() {
        node.mode = FakeNode.Mode.BREAK_CONNECTION;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, STREAM)).isInstanceOf(E2eeException.Truncated.class);
        }
    }

    @Test
    void refusesDataAfterTheReceipt() {
        node.mode = FakeNode.Mode.TRAILING;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, STREAM))
                    .isInstanceOf(E2eeException.TrailingData.class);
        }
    }

    @Test
    void refusesAReceiptWithABadSignature() {
        node.mode = FakeNode.Mode.BAD_RECEIPT_SIGNATURE;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE)).isInstanceOf(E2eeException.BadReceipt.class)
                    .hasMessageContaining("signature");
        }
        Events events = assertStreamFails(E2eeException.BadReceipt.class, FakeNode.EVENTS.size());
        assertThat(events.order).doesNotContain("receipt");
    }

    @Test
    void refusesAReceiptForAnotherRequest() {
        node.mode = FakeNode.Mode.RECEIPT_OTHER_REQUEST;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE)).isInstanceOf(E2eeException.BadReceipt.class)
                    .hasMessageContaining("another request");
        }
    }

    @Test
    void refusesAnAnswerWithoutReceipt() {
        node.mode = FakeNode.Mode.NO_RECEIPT;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE)).isInstanceOf(E2eeException.BadReceipt.class);
        }
    }

    @Test
    void refusesAPlaintextAnswer() {
        node.mode = FakeNode.Mode.PLAINTEXT_ANSWER;
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE)).isInstanceOf(E2eeException.Malformed.class)
                    .hasMessageContaining("not encrypted");
        }
    }

    // ---- clear errors ----------------------------------------------------------------------------------------------

    @Test
    void reAttestsOnceWhenTheKeyRotated() throws Exception {
        node.mode = FakeNode.Mode.UNKNOWN_KEY_ONCE;
        try (VeilClient veil = client()) {
            veil.attest(FakeNode.MODEL);
            String before = veil.cachedNode(FakeNode.MODEL).orElseThrow().nodeKeyId();
            E2eeResponse answer = veil.send(CHAT, FakeNode.MODEL, WHOLE);
            assertThat(answer.status()).isEqualTo(200);
            assertThat(answer.node().nodeKeyId()).isNotEqualTo(before).isEqualTo(node.nodeKeyId());
            assertThat(node.attestations).hasValue(2);
            assertThat(node.inferences).hasValue(2);
        }
    }

    @Test
    void givesUpAfterOneRetryWhenTheKeyKeepsRotating() {
        node.mode = FakeNode.Mode.UNKNOWN_KEY_ALWAYS;
        try (VeilClient veil = client()) {
            Throwable thrown = catchThrowable(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE));
            assertThat(thrown).isInstanceOf(E2eeException.UnknownKey.class).hasCauseInstanceOf(GatewayException.class);
            assertThat(((GatewayException) thrown.getCause()).status()).isEqualTo(421);
            assertThat(node.inferences).hasValue(2);
        }
    }

    @Test
    void reportsTheGatewaysClearErrors() {
        node.mode = FakeNode.Mode.NO_COMPLIANT_ROUTE;
        try (VeilClient veil = client()) {
            Throwable thrown = catchThrowable(() -> veil.send(CHAT, FakeNode.MODEL, WHOLE));
            assertThat(thrown).isInstanceOf(GatewayException.class);
            GatewayException g = (GatewayException) thrown;
            assertThat(g.status()).isEqualTo(403);
            assertThat(g.code()).isEqualTo("no_compliant_route");
            assertThat(g.type()).isEqualTo("permission_error");
        }
        try (VeilClient veil = VeilClient.builder().baseUrl(node.url()).apiKey("wrong").policy(FakeNode.DEV).build()) {
            Throwable thrown = catchThrowable(() -> veil.attest(FakeNode.MODEL));
            assertThat(thrown).isInstanceOf(GatewayException.class);
            assertThat(((GatewayException) thrown).code()).isEqualTo("invalid_api_key");
        }
        try (VeilClient veil = client()) {
            Throwable thrown = catchThrowable(() -> veil.attest("no-such-model"));
            assertThat(((GatewayException) thrown).status()).isEqualTo(404);
        }
    }

    @Test
    void reportsAnUnreachableGatewayAsIoException() {
        try (VeilClient veil = VeilClient.builder().baseUrl("http://127.0.0.1:1").policy(FakeNode.DEV).build()) {
            assertThatThrownBy(() -> veil.attest(FakeNode.MODEL)).isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void refusesABodyWhoseModelDiffersOrThatIsNotJson() {
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.send(CHAT, "other", WHOLE)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> veil.send(CHAT, FakeNode.MODEL, json("not json")))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> veil.send("/v1/models", FakeNode.MODEL, WHOLE))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    private static Events assertStreamFails(Class<? extends E2eeException> expected, int chunksBefore) {
        Events events = new Events();
        try (VeilClient veil = client()) {
            assertThatThrownBy(() -> veil.stream(CHAT, FakeNode.MODEL, STREAM, events)).isInstanceOf(expected);
        }
        assertThat(events.chunks).hasSize(chunksBefore);
        return events;
    }
}
