package dev.veil.protocol.e2ee;

import static dev.veil.protocol.e2ee.Exchange.flip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every attack of docs/e2ee.md §4–§5 is refused, with its own exception. */
class E2eeAttackTest {

    private Exchange x;

    @BeforeEach
    void exchange() throws E2eeException {
        x = Exchange.create(4); // head, 3 chunks, final ([DONE]): 5 sealed frames
    }

    // ---------------------------------------------------------------- response frames

    private ResponseOpener feedAll(byte[] body) throws E2eeException {
        ResponseOpener opener = x.sealed.responseOpener();
        opener.accept(body);
        opener.end();
        return opener;
    }

    private List<byte[]> frames() {
        return new ArrayList<>(x.frames);
    }

    @Test
    void reorderedFramesAreRejected() {
        List<byte[]> swapped = frames();
        Collections.swap(swapped, 1, 2);
        assertThatThrownBy(() -> feedAll(x.body(swapped, x.receiptFrame)))
                .isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 1");
        // even the head cannot be moved
        List<byte[]> headLater = frames();
        Collections.swap(headLater, 0, 1);
        assertThatThrownBy(() -> feedAll(x.body(headLater))).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 0");
    }

    @Test
    void droppedFrameIsRejected() {
        List<byte[]> dropped = frames();
        dropped.remove(2);
        assertThatThrownBy(() -> feedAll(x.body(dropped, x.receiptFrame)))
                .isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 2");
        List<byte[]> noHead = frames();
        noHead.remove(0);
        assertThatThrownBy(() -> feedAll(x.body(noHead))).isInstanceOf(E2eeException.FrameRejected.class);
    }

    @Test
    void duplicatedFrameIsRejected() {
        List<byte[]> repeated = frames();
        repeated.add(2, x.frames.get(1));
        assertThatThrownBy(() -> feedAll(x.body(repeated, x.receiptFrame)))
                .isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 2");
    }

    @Test
    void aBitFlipAnywhereInACiphertextIsRejected() {
        byte[] frame = x.frames.get(2);
        for (int at = 5; at < frame.length; at += 3) {
            List<byte[]> tampered = frames();
            tampered.set(2, flip(frame, at, at % 8));
            assertThatThrownBy(() -> feedAll(x.body(tampered, x.receiptFrame))).as("byte %d", at)
                    .isInstanceOf(E2eeException.FrameRejected.class)
                    .hasMessageContaining("frame 2");
        }
        // the tag (last byte) too
        List<byte[]> tag = frames();
        tag.set(4, flip(x.frames.get(4), x.frames.get(4).length - 1, 0));
        assertThatThrownBy(() -> feedAll(x.body(tag))).isInstanceOf(E2eeException.FrameRejected.class);
    }

    @Test
    void aChangedLengthIsRejected() {
        // one less: the frame ends a byte early and fails authentication
        ResponseOpener o1 = x.sealed.responseOpener();
        byte[] oneLess = x.body(List.of(x.frames.get(0), withLength(x.frames.get(1), -1)));
        assertThatThrownBy(() -> o1.accept(oneLess)).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 1");
        // one more: the frame swallows the next frame's flags byte and fails authentication
        List<byte[]> oneMore = frames();
        oneMore.set(1, withLength(x.frames.get(1), +1));
        assertThatThrownBy(() -> feedAll(x.body(oneMore, x.receiptFrame)))
                .isInstanceOf(E2eeException.FrameRejected.class).hasMessageContaining("frame 1");
        // one less, with the rest of the body behind it: the reader then finds a frame header inside the tag;
        // refused either way (which one depends on the tag's last byte)
        List<byte[]> shorter = frames();
        shorter.set(1, withLength(x.frames.get(1), -1));
        assertThatThrownBy(() -> feedAll(x.body(shorter, x.receiptFrame)))
                .isInstanceOfAny(E2eeException.FrameRejected.class, E2eeException.Malformed.class);
        // a shortened frame whose bytes were cut to match: the tag no longer verifies
        ResponseOpener cutToMatch = x.sealed.responseOpener();
        byte[] lengthMinusOne = x.body(List.of(x.frames.get(0), shorten(x.frames.get(1))));
        assertThatThrownBy(() -> cutToMatch.accept(lengthMinusOne)).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 1");

        // longer: the frame swallows the start of the next; with enough bytes it fails authentication
        List<byte[]> longer = frames();
        longer.set(1, flip(x.frames.get(1), 3, 1)); // + 512
        ResponseOpener o2 = x.sealed.responseOpener();
        byte[] padded = x.body(longer, new byte[1024]); // frames 2..4 are shorter than 512: it ends in the zeros
        assertThat(padded.length - 32 - x.frames.get(0).length - x.frames.get(1).length - 1024).isLessThan(512);
        assertThatThrownBy(() -> o2.accept(padded)).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 1");
        // ... and without them the body ends inside the frame: truncated
        ResponseOpener o3 = x.sealed.responseOpener();
        byte[] body3 = x.body(longer);
        List<ResponseOpener.Part> parts;
        try {
            parts = o3.accept(body3);
        } catch (E2eeException e) {
            throw new AssertionError(e);
        }
        assertThat(parts).hasSize(1); // the head only
        assertThatThrownBy(o3::end).isInstanceOf(E2eeException.Truncated.class);

        // a length over the protocol's maximum is malformed before anything is buffered
        List<byte[]> huge = frames();
        huge.set(1, flip(x.frames.get(1), 1, 7));
        assertThatThrownBy(() -> feedAll(x.body(huge))).isInstanceOf(E2eeException.Malformed.class);
    }

    private static byte[] withLength(byte[] frame, int delta) {
        byte[] out = frame.clone();
        int len = frame.length - 5 + delta;
        out[1] = (byte) (len >>> 24);
        out[2] = (byte) (len >>> 16);
        out[3] = (byte) (len >>> 8);
        out[4] = (byte) len;
        return out;
    }

    private static byte[] shorten(byte[] frame) {
        byte[] out = Arrays.copyOf(frame, frame.length - 1);
        int len = frame.length - 5 - 1;
        out[1] = (byte) (len >>> 24);
        out[2] = (byte) (len >>> 16);
        out[3] = (byte) (len >>> 8);
        out[4] = (byte) len;
        return out;
    }

    @Test
    void changedFlagsAreRejected() {
        // a middle frame marked final: its AAD changes, it fails authentication
        List<byte[]> early = frames();
        early.set(2, flip(x.frames.get(2), 0, 0));
        assertThatThrownBy(() -> feedAll(x.body(early))).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 2");
        // the final frame with its final bit cleared: fails authentication
        List<byte[]> notFinal = frames();
        notFinal.set(4, flip(x.frames.get(4), 0, 0));
        assertThatThrownBy(() -> feedAll(x.body(notFinal))).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 4");
        // a sealed frame dressed as a receipt before the final frame
        List<byte[]> asReceipt = frames();
        asReceipt.set(2, flip(x.frames.get(2), 0, 1));
        assertThatThrownBy(() -> feedAll(x.body(asReceipt))).isInstanceOf(E2eeException.Malformed.class);
        // an unknown flag bit
        List<byte[]> unknown = frames();
        unknown.set(2, flip(x.frames.get(2), 0, 3));
        assertThatThrownBy(() -> feedAll(x.body(unknown))).isInstanceOf(E2eeException.Malformed.class);
        // the receipt frame with the final bit also set (0x03)
        byte[] receipt03 = flip(x.receiptFrame, 0, 0);
        assertThatThrownBy(() -> feedAll(x.body(x.frames, receipt03))).isInstanceOf(E2eeException.Malformed.class);
    }

    @Test
    void truncatedBodiesAreRefusedAtTheEnd() throws E2eeException {
        // cut before the final frame, on a frame boundary
        ResponseOpener beforeFinal = x.sealed.responseOpener();
        List<ResponseOpener.Part> parts = beforeFinal.accept(x.body(x.frames.subList(0, 4)));
        assertThat(parts).hasSize(4); // head and three chunks, none of them last
        assertThat(parts.stream().filter(p -> p instanceof ResponseOpener.Chunk c && c.last())).isEmpty();
        assertThatThrownBy(beforeFinal::end).isInstanceOf(E2eeException.Truncated.class);

        // cut in the middle of the final frame
        byte[] whole = x.body(x.frames);
        ResponseOpener midFrame = x.sealed.responseOpener();
        midFrame.accept(Arrays.copyOf(whole, whole.length - 3));
        assertThatThrownBy(midFrame::end).isInstanceOf(E2eeException.Truncated.class);

        // cut in a frame header
        ResponseOpener midHeader = x.sealed.responseOpener();
        midHeader.accept(Arrays.copyOf(whole, 32 + x.frames.get(0).length + 2));
        assertThatThrownBy(midHeader::end).isInstanceOf(E2eeException.Truncated.class);

        // cut in the response nonce, and an empty body
        ResponseOpener inNonce = x.sealed.responseOpener();
        inNonce.accept(Arrays.copyOf(whole, 20));
        assertThatThrownBy(inNonce::end).isInstanceOf(E2eeException.Truncated.class);
        ResponseOpener empty = x.sealed.responseOpener();
        assertThatThrownBy(empty::end).isInstanceOf(E2eeException.Truncated.class);

        // cut in the middle of the receipt frame: the body did not end cleanly
        byte[] withReceipt = x.body();
        ResponseOpener midReceipt = x.sealed.responseOpener();
        midReceipt.accept(Arrays.copyOf(withReceipt, withReceipt.length - 10));
        assertThatThrownBy(midReceipt::end).isInstanceOf(E2eeException.Truncated.class);
    }

    @Test
    void dataAfterTheFinalFrameIsRefused() throws E2eeException {
        // one more sealed frame that would authenticate: same keys (same response nonce), the next index (5)
        ResponseSealer again = x.opened.responseSealer(x.responseNonce);
        again.start();
        again.head(200, Exchange.CONTENT_TYPE);
        for (int i = 0; i < 4; i++) {
            again.chunk(x.chunks.get(0));
        }
        byte[] index5 = again.chunk(Exchange.sse("{\"injected\":true}"));
        assertThatThrownBy(() -> feedAll(x.body(x.frames, index5))).isInstanceOf(E2eeException.TrailingData.class);
        assertThatThrownBy(() -> feedAll(x.body(x.frames, x.receiptFrame, index5)))
                .isInstanceOf(E2eeException.TrailingData.class);
        // a repeated earlier frame after the final one
        List<byte[]> extra = frames();
        extra.add(x.frames.get(3));
        assertThatThrownBy(() -> feedAll(x.body(extra))).isInstanceOf(E2eeException.TrailingData.class);
        // a second receipt
        assertThatThrownBy(() -> feedAll(x.body(x.frames, x.receiptFrame, x.receiptFrame)))
                .isInstanceOf(E2eeException.TrailingData.class);
        // a sealed frame after the receipt
        assertThatThrownBy(() -> feedAll(x.body(x.frames, x.receiptFrame, x.frames.get(1))))
                .isInstanceOf(E2eeException.TrailingData.class);
        // a receipt before the final frame
        List<byte[]> early = frames();
        early.add(3, x.receiptFrame);
        assertThatThrownBy(() -> feedAll(x.body(early))).isInstanceOf(E2eeException.Malformed.class);
        // a few stray bytes after the receipt, fewer than a frame header: refused when the body ends (the code
        // reports them as Truncated, an unfinished frame, rather than TrailingData)
        ResponseOpener stray = x.sealed.responseOpener();
        assertThat(stray.accept(x.body(x.frames, x.receiptFrame, new byte[] {0, 0}))).hasSize(6);
        assertThatThrownBy(stray::end).isInstanceOf(E2eeException.Truncated.class);
    }

    @Test
    void aFrameFromAnotherResponseIsRejected() throws E2eeException {
        // same node, another request: its frame 2 has the right index but another key
        Exchange other = Exchange.create(x.node, x.signer, 4);
        List<byte[]> spliced = frames();
        spliced.set(2, other.frames.get(2));
        assertThatThrownBy(() -> feedAll(x.body(spliced))).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 2");

        // the same request answered twice (another response nonce): frames do not mix either
        ResponseSealer second = x.opened.responseSealer();
        second.start();
        byte[] otherHead = second.head(200, Exchange.CONTENT_TYPE);
        List<byte[]> mixed = frames();
        mixed.set(0, otherHead);
        assertThatThrownBy(() -> feedAll(x.body(mixed))).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 0");

        // another request's whole response, under this request's opener
        assertThatThrownBy(() -> feedAll(other.body())).isInstanceOf(E2eeException.FrameRejected.class)
                .hasMessageContaining("frame 0");
        // a changed response nonce
        byte[] body = x.body();
        body[0] ^= 1;
        assertThatThrownBy(() -> feedAll(body)).isInstanceOf(E2eeException.FrameRejected.class);
    }

    @Test
    void afterAFailureTheOpenerStaysFailed() throws E2eeException {
        List<byte[]> swapped = frames();
        Collections.swap(swapped, 1, 2);
        byte[] body = x.body(swapped, x.receiptFrame);
        ResponseOpener opener = x.sealed.responseOpener();
        int headEnd = 32 + x.frames.get(0).length;
        assertThat(opener.accept(Arrays.copyOf(body, headEnd))).hasSize(1);
        E2eeException first = catchE2ee(() -> opener.accept(Arrays.copyOfRange(body, headEnd, body.length)));
        assertThat(first).isInstanceOf(E2eeException.FrameRejected.class);
        assertThat(first.code()).isEqualTo("e2ee_frame_rejected");

        // the correct next frame does not revive it, nor does end()
        E2eeException again = catchE2ee(() -> opener.accept(x.frames.get(1)));
        assertThat(again).isSameAs(first);
        assertThat(catchE2ee(() -> opener.accept(new byte[0]))).isSameAs(first);
        assertThat(catchE2ee(opener::end)).isSameAs(first);

        // a truncated opener stays truncated too
        ResponseOpener cut = x.sealed.responseOpener();
        cut.accept(Arrays.copyOf(x.body(), 40));
        E2eeException truncated = catchE2ee(cut::end);
        assertThat(truncated).isInstanceOf(E2eeException.Truncated.class);
        byte[] rest = Arrays.copyOfRange(x.body(), 40, x.body().length);
        assertThat(catchE2ee(() -> cut.accept(rest))).isSameAs(truncated);
    }

    @Test
    void randomSplitsDoNotChangeTheVerdict() throws E2eeException {
        List<byte[]> dropped = frames();
        dropped.remove(3);
        byte[] body = x.body(dropped, x.receiptFrame);
        for (int seed = 0; seed < 10; seed++) {
            Random random = new Random(seed);
            assertThatThrownBy(() -> Exchange.feed(x.sealed.responseOpener(), body, random))
                    .isInstanceOf(E2eeException.FrameRejected.class).hasMessageContaining("frame 3");
        }
    }

    // ---------------------------------------------------------------- receipts

    @Test
    void receiptWithABadSignatureIsRefused() throws E2eeException {
        ResponseOpener opener = feedAll(x.body());
        SignedReceipt forged = new SignedReceipt(x.signedReceipt.payload(), flip(x.signedReceipt.signature(), 10, 2));
        assertThatThrownBy(() -> opener.verifyReceipt(forged, x.signer.publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class).hasMessageContaining("signature");
        // the genuine receipt and another node's key
        assertThatThrownBy(() -> opener.verifyReceipt(x.signedReceipt, SigningKey.generate().publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class).hasMessageContaining("signature");
        // changed token counts with the old signature
        Receipt inflated = new Receipt(1, x.receipt.nodeKeyId(), x.receipt.model(), x.receipt.path(),
                x.receipt.requestSha256(), x.receipt.responseSha256(), 12_000, 4, x.receipt.created());
        SignedReceipt reused = new SignedReceipt(inflated.toJson(), x.signedReceipt.signature());
        assertThatThrownBy(() -> opener.verifyReceipt(reused, x.signer.publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class);
        assertThat(opener.verifyReceipt(x.signedReceipt, x.signer.publicKey())).isEqualTo(x.receipt);
    }

    @Test
    void receiptForAnotherRequestIsRefused() throws E2eeException {
        ResponseOpener opener = feedAll(x.body());
        Receipt other = new Receipt(1, x.receipt.nodeKeyId(), x.receipt.model(), x.receipt.path(),
                E2ee.hex(E2ee.sha256("another body".getBytes(StandardCharsets.UTF_8))), x.receipt.responseSha256(),
                12, 4, x.receipt.created());
        assertThatThrownBy(() -> opener.verifyReceipt(SignedReceipt.sign(other, x.signer), x.signer.publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class).hasMessageContaining("another request");
    }

    @Test
    void receiptForAnotherResponseIsRefused() throws E2eeException {
        ResponseOpener opener = feedAll(x.body());
        Receipt other = new Receipt(1, x.receipt.nodeKeyId(), x.receipt.model(), x.receipt.path(),
                x.receipt.requestSha256(), E2ee.hex(E2ee.sha256(new byte[] {1})), 12, 4, x.receipt.created());
        assertThatThrownBy(() -> opener.verifyReceipt(SignedReceipt.sign(other, x.signer), x.signer.publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class).hasMessageContaining("another response");

        // another exchange's genuine receipt, signed by the same node
        Exchange y = Exchange.create(x.node, x.signer, 4);
        assertThatThrownBy(() -> opener.verifyReceipt(y.signedReceipt, x.signer.publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class);
        // a receipt frame swapped onto this response: opened, but it does not verify
        ResponseOpener swapped = x.sealed.responseOpener();
        List<ResponseOpener.Part> parts = swapped.accept(x.body(x.frames, y.receiptFrame));
        swapped.end();
        SignedReceipt carried = ((ResponseOpener.Receipt) parts.get(parts.size() - 1)).signed();
        assertThatThrownBy(() -> swapped.verifyReceipt(carried, x.signer.publicKey()))
                .isInstanceOf(E2eeException.BadReceipt.class);
    }

    @Test
    void unreadableReceiptFrameIsABadReceipt() {
        byte[] garbage = ResponseSealer.encodeFrame(E2ee.FLAG_RECEIPT, "not json".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> feedAll(x.body(x.frames, garbage))).isInstanceOf(E2eeException.BadReceipt.class);
        byte[] badB64 = ResponseSealer.encodeFrame(E2ee.FLAG_RECEIPT,
                "{\"payload\":\"***\",\"signature\":\"AA\"}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> feedAll(x.body(x.frames, badB64))).isInstanceOf(E2eeException.BadReceipt.class);
    }

    // ---------------------------------------------------------------- requests

    @Test
    void aReplayedRequestIsRefused() throws E2eeException {
        ReplayGuard guard = new ReplayGuard(16);
        byte[] body = SealedRequest.seal(x.node.keyConfig(), Exchange.META, x.requestPlaintext).body();
        OpenedRequest.open(x.node, guard, Exchange.META, body);
        E2eeException replay = catchE2ee(() -> OpenedRequest.open(x.node, guard, Exchange.META, body));
        assertThat(replay).isInstanceOf(E2eeException.Replay.class);
        assertThat(replay.code()).isEqualTo("e2ee_replay");
        assertThat(guard.size()).isEqualTo(1);
        // the exchange's own request, already opened with its guard
        assertThatThrownBy(() -> OpenedRequest.open(x.node, x.guard, Exchange.META, x.sealed.body()))
                .isInstanceOf(E2eeException.Replay.class);
    }

    @Test
    void aTamperedRequestCiphertextIsRefused() {
        byte[] body = x.sealed.body();
        for (int at = 39; at < body.length; at += 11) {
            byte[] tampered = flip(body, at, at % 8);
            E2eeException e = catchE2ee(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META, tampered));
            assertThat(e).as("byte %d", at).isInstanceOf(E2eeException.DecryptFailed.class);
            assertThat(e.code()).isEqualTo("e2ee_decrypt_failed");
        }
        byte[] lastByte = flip(body, body.length - 1, 7);
        assertThatThrownBy(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META, lastByte))
                .isInstanceOf(E2eeException.DecryptFailed.class);
    }

    @Test
    void aTamperedEncIsRefused() {
        byte[] body = x.sealed.body();
        for (int at = 7; at < 39; at++) {
            byte[] tampered = flip(body, at, at % 8);
            assertThatThrownBy(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META, tampered))
                    .as("enc byte %d", at - 7).isInstanceOf(E2eeException.DecryptFailed.class);
        }
        // X25519 ignores the top bit of a public key (RFC 7748), but enc is bound into the key schedule
        byte[] topBit = flip(body, 38, 7);
        assertThatThrownBy(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META, topBit))
                .isInstanceOf(E2eeException.DecryptFailed.class);
    }

    /**
     * A small-order X25519 point as {@code enc} makes the Diffie-Hellman output all zero, which RFC 9180 §7.1.4 says
     * must abort; the body did not open, so it is {@code e2ee_decrypt_failed} (docs/e2ee.md §6), not a runtime error.
     */
    @Test
    void aLowOrderEncIsDecryptFailed() {
        byte[] body = x.sealed.body();
        for (String point : List.of(
                "0000000000000000000000000000000000000000000000000000000000000000",
                "0100000000000000000000000000000000000000000000000000000000000000",
                "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
                "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
                "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")) {
            byte[] tampered = body.clone();
            System.arraycopy(E2ee.unhex(point), 0, tampered, 7, 32);
            ReplayGuard guard = new ReplayGuard(4);
            E2eeException e = catchE2ee(() -> OpenedRequest.open(x.node, guard, Exchange.META, tampered));
            assertThat(e).as("enc %s", point).isInstanceOf(E2eeException.DecryptFailed.class);
            assertThat(e.code()).isEqualTo("e2ee_decrypt_failed");
            assertThat(guard.size()).isZero();
        }
    }

    @Test
    void aTamperedHeaderIsRefused() {
        byte[] body = x.sealed.body();
        // key_id: no such key here
        assertThatThrownBy(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META, flip(body, 0, 1)))
                .isInstanceOf(E2eeException.UnknownKey.class);
        // kem, kdf, aead: another suite
        for (int at = 1; at < 7; at++) {
            byte[] tampered = flip(body, at, 0);
            E2eeException e = catchE2ee(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META, tampered));
            assertThat(e).as("hdr byte %d", at).isInstanceOf(E2eeException.Unsupported.class);
            assertThat(e.code()).isEqualTo("e2ee_unsupported");
        }
        // too short to be hdr || enc || tag
        assertThatThrownBy(() -> OpenedRequest.open(x.node, new ReplayGuard(4), Exchange.META,
                Arrays.copyOf(body, 7 + 32 + 15))).isInstanceOf(E2eeException.Malformed.class);
    }

    @Test
    void changedRoutingMetadataIsRefused() {
        byte[] body = x.sealed.body();
        RequestMeta m = Exchange.META;
        for (RequestMeta changed : List.of(
                new RequestMeta(m.path(), "another-model", m.stream()),
                new RequestMeta(m.path(), m.model() + " ", m.stream()),
                new RequestMeta("/v1/completions", m.model(), m.stream()),
                new RequestMeta(m.path(), m.model(), !m.stream()))) {
            ReplayGuard guard = new ReplayGuard(4);
            assertThatThrownBy(() -> OpenedRequest.open(x.node, guard, changed, body)).as("%s", changed)
                    .isInstanceOf(E2eeException.DecryptFailed.class);
            assertThat(guard.size()).as("a request that did not open is not remembered").isZero();
        }
    }

    @Test
    void theWrongNodeKeyIsRefused() {
        byte[] body = x.sealed.body();
        // same key_id, another key
        NodeKeyPair sameId = NodeKeyPair.generate(x.node.keyConfig().keyId());
        assertThatThrownBy(() -> OpenedRequest.open(sameId, new ReplayGuard(4), Exchange.META, body))
                .isInstanceOf(E2eeException.DecryptFailed.class);
        // another key_id
        NodeKeyPair otherId = NodeKeyPair.generate(x.node.keyConfig().keyId() + 1);
        assertThatThrownBy(() -> OpenedRequest.open(otherId, new ReplayGuard(4), Exchange.META, body))
                .isInstanceOf(E2eeException.UnknownKey.class);
    }

    private interface Call {
        void run() throws E2eeException;
    }

    private static E2eeException catchE2ee(Call call) {
        try {
            call.run();
        } catch (E2eeException e) {
            return e;
        } catch (RuntimeException e) {
            throw new AssertionError("expected an E2eeException, got " + e, e);
        }
        throw new AssertionError("expected an E2eeException");
    }
}
