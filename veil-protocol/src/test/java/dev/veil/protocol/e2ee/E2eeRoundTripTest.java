package dev.veil.protocol.e2ee;

import static dev.veil.protocol.e2ee.E2ee.hex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class E2eeRoundTripTest {

    @Test
    void requestSealsToTheNodeKeyAndOpens() throws E2eeException {
        NodeKeyPair node = NodeKeyPair.generate(9);
        byte[] plaintext = "{\"model\":\"m\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
        RequestMeta meta = new RequestMeta("/v1/chat/completions", "m", false);

        SealedRequest sealed = SealedRequest.seal(node.keyConfig(), meta, plaintext);
        byte[] body = sealed.body();

        // body = hdr (key_id, kem 0x0020, kdf 0x0001, aead 0x0002) || enc (32) || ct (plaintext + 16-byte tag)
        assertThat(hex(Arrays.copyOf(body, 7))).isEqualTo("09002000010002");
        assertThat(body).hasSize(7 + 32 + plaintext.length + 16);
        assertThat(sealed.meta()).isEqualTo(meta);

        OpenedRequest opened = OpenedRequest.open(node, new ReplayGuard(8), meta, body);
        assertThat(new String(opened.plaintext(), StandardCharsets.UTF_8)).isEqualTo("{\"model\":\"m\",\"messages\":[]}");
        assertThat(hex(opened.requestHash())).isEqualTo(hex(E2ee.sha256(body)));
        assertThat(hex(sealed.responseOpener().requestHash())).isEqualTo(hex(E2ee.sha256(body)));
    }

    @Test
    void twoSealsOfTheSameRequestDiffer() {
        NodeKeyPair node = NodeKeyPair.generate(1);
        byte[] pt = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] a = SealedRequest.seal(node.keyConfig(), Exchange.META, pt).body();
        byte[] b = SealedRequest.seal(node.keyConfig(), Exchange.META, pt).body();
        assertThat(hex(Arrays.copyOfRange(a, 7, 39))).isNotEqualTo(hex(Arrays.copyOfRange(b, 7, 39)));
        assertThat(hex(a)).isNotEqualTo(hex(b));
    }

    @Test
    void responseRoundTripsWhateverTheSplits() throws E2eeException {
        for (int seed = 0; seed < 25; seed++) {
            Exchange x = Exchange.create(2 + seed % 5);
            ResponseOpener opener = x.sealed.responseOpener();
            List<ResponseOpener.Part> parts = Exchange.feed(opener, x.body(), new Random(seed));

            assertThat(parts).as("seed %d", seed).hasSize(1 + x.chunks.size() + 1);
            assertThat(parts.get(0)).isEqualTo(new ResponseOpener.Head(200, "text/event-stream"));
            for (int i = 0; i < x.chunks.size(); i++) {
                ResponseOpener.Chunk chunk = (ResponseOpener.Chunk) parts.get(1 + i);
                assertThat(new String(chunk.data(), StandardCharsets.UTF_8))
                        .isEqualTo(new String(x.chunks.get(i), StandardCharsets.UTF_8));
                assertThat(chunk.last()).isEqualTo(i == x.chunks.size() - 1);
            }
            ResponseOpener.Receipt receiptPart = (ResponseOpener.Receipt) parts.get(parts.size() - 1);
            assertThat(receiptPart.signed().payload()).isEqualTo(x.signedReceipt.payload());
            assertThat(receiptPart.signed().signature()).isEqualTo(x.signedReceipt.signature());

            Receipt verified = opener.verifyReceipt(receiptPart.signed(), x.signer.publicKey());
            assertThat(verified).isEqualTo(x.receipt);
            assertThat(verified.requestSha256()).isEqualTo(hex(E2ee.sha256(x.sealed.body())));
            assertThat(verified.responseSha256()).isEqualTo(hex(x.responseHash));
            assertThat(verified.completionTokens()).isEqualTo(x.chunks.size());
        }
    }

    @Test
    void responseHashCoversTheNonceAndEverySealedFrameButNotTheReceipt() throws E2eeException {
        Exchange x = Exchange.create(3);
        byte[] sealedPart = x.body(x.frames);
        assertThat(hex(x.responseHash)).isEqualTo(hex(E2ee.sha256(sealedPart)));
        assertThat(x.receipt.responseSha256()).isEqualTo(hex(E2ee.sha256(sealedPart)));
    }

    @Test
    void theWholeBodyAtOnceAndTheChunksFirstWork() throws E2eeException {
        Exchange x = Exchange.create(3);
        ResponseOpener whole = x.sealed.responseOpener();
        List<ResponseOpener.Part> parts = whole.accept(x.body());
        whole.end();
        assertThat(parts).hasSize(5);
        assertThat(new String(((ResponseOpener.Chunk) parts.get(3)).data(), StandardCharsets.UTF_8))
                .isEqualTo("data: [DONE]\n\n");

        // nothing comes out before the 32-byte response nonce and a whole frame have arrived
        ResponseOpener slow = x.sealed.responseOpener();
        byte[] body = x.body();
        assertThat(slow.accept(Arrays.copyOf(body, 31))).isEmpty();
        assertThat(slow.accept(Arrays.copyOfRange(body, 31, 32 + 5))).isEmpty();
        int headEnd = 32 + x.frames.get(0).length;
        assertThat(slow.accept(Arrays.copyOfRange(body, 37, headEnd)))
                .containsExactly(new ResponseOpener.Head(200, "text/event-stream"));
        assertThat(slow.accept(Arrays.copyOfRange(body, headEnd, body.length))).hasSize(4);
        slow.end();
    }

    @Test
    void aResponseWithoutReceiptAndAnEmptyFinalFrameIsComplete() throws E2eeException {
        NodeKeyPair node = NodeKeyPair.generate(3);
        SealedRequest sealed = SealedRequest.seal(node.keyConfig(), Exchange.META, "{}".getBytes(StandardCharsets.UTF_8));
        OpenedRequest opened = OpenedRequest.open(node, new ReplayGuard(4), Exchange.META, sealed.body());
        ResponseSealer sealer = opened.responseSealer();
        List<byte[]> pieces = new ArrayList<>();
        pieces.add(sealer.start());
        pieces.add(sealer.head(200, "application/json"));
        pieces.add(sealer.chunk("{\"ok\":true}".getBytes(StandardCharsets.UTF_8)));
        byte[] last = sealer.finish(new byte[0]);
        pieces.add(last);
        // an empty final frame: flags 0x01, length 16 (just the tag)
        assertThat(hex(Arrays.copyOf(last, 5))).isEqualTo("0100000010");

        ResponseOpener opener = sealed.responseOpener();
        List<ResponseOpener.Part> parts = new ArrayList<>();
        for (byte[] p : pieces) {
            parts.addAll(opener.accept(p));
        }
        opener.end();
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0)).isEqualTo(new ResponseOpener.Head(200, "application/json"));
        assertThat(new String(((ResponseOpener.Chunk) parts.get(1)).data(), StandardCharsets.UTF_8))
                .isEqualTo("{\"ok\":true}");
        assertThat(((ResponseOpener.Chunk) parts.get(1)).last()).isFalse();
        assertThat(((ResponseOpener.Chunk) parts.get(2)).data()).isEmpty();
        assertThat(((ResponseOpener.Chunk) parts.get(2)).last()).isTrue();
    }

    @Test
    void aFinalHeadIsFollowedByAnEmptyLastChunk() throws E2eeException {
        NodeKeyPair node = NodeKeyPair.generate(3);
        SealedRequest sealed = SealedRequest.seal(node.keyConfig(), Exchange.META, "{}".getBytes(StandardCharsets.UTF_8));
        OpenedRequest opened = OpenedRequest.open(node, new ReplayGuard(4), Exchange.META, sealed.body());
        ResponseSealer sealer = opened.responseSealer();
        byte[] nonce = sealer.start();
        // finish() with the head's bytes as the only sealed frame (index 0, flags 0x01)
        byte[] only = sealer.finish("{\"status\":503,\"content_type\":\"application/json\"}".getBytes(StandardCharsets.UTF_8));
        ResponseOpener opener = sealed.responseOpener();
        List<ResponseOpener.Part> parts = new ArrayList<>(opener.accept(nonce));
        parts.addAll(opener.accept(only));
        opener.end();
        assertThat(parts).hasSize(2);
        assertThat(parts.get(0)).isEqualTo(new ResponseOpener.Head(503, "application/json"));
        assertThat(((ResponseOpener.Chunk) parts.get(1)).last()).isTrue();
    }

    @Test
    void sealerEnforcesItsOrder() throws E2eeException {
        Exchange x = Exchange.create(2);
        ResponseSealer fresh = x.opened.responseSealer();
        assertThatThrownBy(() -> fresh.head(200, "text/plain")).isInstanceOf(IllegalStateException.class);
        fresh.start();
        assertThatThrownBy(fresh::start).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> fresh.receiptFrame(x.signedReceipt)).isInstanceOf(IllegalStateException.class);
        fresh.finish(new byte[0]);
        assertThatThrownBy(() -> fresh.chunk(new byte[1])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void frameLayoutIsFlagsLengthPayload() throws E2eeException {
        Exchange x = Exchange.create(2);
        for (int i = 0; i < x.frames.size(); i++) {
            byte[] f = x.frames.get(i);
            int flags = f[0] & 0xff;
            long len = ((long) (f[1] & 0xff) << 24) | ((f[2] & 0xff) << 16) | ((f[3] & 0xff) << 8) | (f[4] & 0xff);
            assertThat(flags).isEqualTo(i == x.frames.size() - 1 ? 0x01 : 0x00);
            assertThat(len).isEqualTo(f.length - 5);
        }
        // chunk 1 is data: {...}\n\n, sealed with a 16-byte tag
        assertThat(x.frames.get(1).length).isEqualTo(5 + x.chunks.get(0).length + 16);
        assertThat(x.receiptFrame[0]).isEqualTo((byte) 0x02);
        SignedReceipt parsed = SignedReceipt.fromFramePayload(Arrays.copyOfRange(x.receiptFrame, 5, x.receiptFrame.length));
        assertThat(parsed.payload()).isEqualTo(x.receipt.toJson());
        assertThat(parsed.verifies(x.signer.publicKey())).isTrue();
        assertThat(parsed.receipt()).isEqualTo(x.receipt);
    }

    @Test
    void gatewayFrameReaderFindsTheClearReceiptWithoutKeys() throws E2eeException {
        Exchange x = Exchange.create(4);
        FrameReader reader = new FrameReader();
        List<FrameReader.Frame> frames = new ArrayList<>();
        byte[] body = x.body();
        for (int at = 0; at < body.length; at += 7) {
            frames.addAll(reader.accept(Arrays.copyOfRange(body, at, Math.min(body.length, at + 7))));
        }
        assertThat(reader.hasPartialData()).isFalse();
        assertThat(reader.responseNonce()).isEqualTo(x.responseNonce);
        assertThat(frames).hasSize(x.frames.size() + 1);
        assertThat(frames.get(frames.size() - 2).last()).isTrue();
        FrameReader.Frame receipt = frames.get(frames.size() - 1);
        assertThat(receipt.receipt()).isTrue();
        assertThat(receipt.raw()).isEqualTo(x.receiptFrame);
        Receipt r = SignedReceipt.fromFramePayload(receipt.payload()).receipt();
        assertThat(r.promptTokens()).isEqualTo(12);
        assertThat(r.completionTokens()).isEqualTo(4);
        assertThat(r.model()).isEqualTo("veil-test-model");
        assertThat(r.path()).isEqualTo("/v1/chat/completions");
        assertThat(r.nodeKeyId()).isEqualTo(x.node.keyConfig().nodeKeyId());
    }

    @Test
    void keyConfigEncodesAsRfc9458AndRoundTrips() throws E2eeException {
        byte[] pk = new byte[32];
        for (int i = 0; i < 32; i++) {
            pk[i] = (byte) (0xa0 + i);
        }
        KeyConfig config = new KeyConfig(0x2a, pk);
        byte[] encoded = config.encoded();
        assertThat(encoded).hasSize(KeyConfig.LENGTH);
        assertThat(hex(encoded)).isEqualTo("2a" + "0020" + hex(pk) + "0004" + "0001" + "0002");

        KeyConfig decoded = KeyConfig.decode(encoded);
        assertThat(decoded).isEqualTo(config);
        assertThat(decoded.keyId()).isEqualTo(0x2a);
        assertThat(decoded.publicKey()).isEqualTo(pk);
        assertThat(decoded.encoded()).isEqualTo(encoded);
        assertThat(decoded.hashCode()).isEqualTo(config.hashCode());

        NodeKeyPair node = NodeKeyPair.generate(200);
        assertThat(KeyConfig.decode(node.keyConfig().encoded())).isEqualTo(node.keyConfig());
        assertThat(node.keyConfig().keyId()).isEqualTo(200);
    }

    @Test
    void nodeKeyIdIsTheFirst16BytesOfSha256OfTheKeyConfigInHex() {
        NodeKeyPair node = NodeKeyPair.generate(1);
        String id = node.keyConfig().nodeKeyId();
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(id).isEqualTo(hex(E2ee.sha256(node.keyConfig().encoded())).substring(0, 32));
        assertThat(NodeKeyPair.generate(1).keyConfig().nodeKeyId()).isNotEqualTo(id);
        // a different key_id on the same public key names a different key
        KeyConfig other = new KeyConfig(2, node.keyConfig().publicKey());
        assertThat(other.nodeKeyId()).isNotEqualTo(id);
        // fixed value: key_id 1 and the public key 0x00..0x1f
        byte[] pk = new byte[32];
        for (int i = 0; i < 32; i++) {
            pk[i] = (byte) i;
        }
        KeyConfig fixed = new KeyConfig(1, pk);
        assertThat(fixed.nodeKeyId()).isEqualTo(hex(E2ee.sha256(E2ee.unhex(
                "010020000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f000400010002"))).substring(0, 32));
    }

    @Test
    void keyConfigDecodeRefusesOtherShapesAndSuites() {
        byte[] good = NodeKeyPair.generate(1).keyConfig().encoded();
        assertThatThrownBy(() -> KeyConfig.decode(Arrays.copyOf(good, 38))).isInstanceOf(E2eeException.Malformed.class);
        assertThatThrownBy(() -> KeyConfig.decode(Arrays.copyOf(good, 40))).isInstanceOf(E2eeException.Malformed.class);
        byte[] p256 = good.clone();
        p256[2] = 0x10;
        assertThatThrownBy(() -> KeyConfig.decode(p256)).isInstanceOf(E2eeException.Unsupported.class);
        byte[] aes128 = good.clone();
        aes128[40] = 0x01;
        assertThatThrownBy(() -> KeyConfig.decode(aes128)).isInstanceOf(E2eeException.Unsupported.class);
        byte[] sha384 = good.clone();
        sha384[38] = 0x02;
        assertThatThrownBy(() -> KeyConfig.decode(sha384)).isInstanceOf(E2eeException.Unsupported.class);
        assertThatThrownBy(() -> new KeyConfig(256, new byte[32])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KeyConfig(1, new byte[31])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void derivedNodeKeysAreDeterministic() {
        byte[] ikm = new byte[32];
        Arrays.fill(ikm, (byte) 7);
        assertThat(NodeKeyPair.derive(1, ikm).keyConfig()).isEqualTo(NodeKeyPair.derive(1, ikm).keyConfig());
        assertThat(NodeKeyPair.derive(1, ikm).keyConfig().nodeKeyId()).matches("[0-9a-f]{32}");
    }

    @Test
    void signingKeyFromSeedIsRfc8032() {
        // RFC 8032 §7.1 TEST 1
        SigningKey key = SigningKey.fromSeed(E2ee.unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
        assertThat(hex(key.publicKey())).isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(hex(key.sign(new byte[0]))).isEqualTo("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
        assertThat(SigningKey.verify(key.publicKey(), new byte[0], key.sign(new byte[0]))).isTrue();
        assertThat(SigningKey.verify(key.publicKey(), new byte[1], key.sign(new byte[0]))).isFalse();
        assertThat(SigningKey.verify(key.publicKey(), new byte[0], new byte[63])).isFalse();
    }

    @Test
    void receiptJsonRoundTrips() throws E2eeException {
        Receipt r = new Receipt(1, "00112233445566778899aabbccddeeff", "m\"odel", "/v1/embeddings", "aa", "bb", 3, 0,
                1_700_000_000L);
        assertThat(Receipt.parse(r.toJson())).isEqualTo(r);
        assertThatThrownBy(() -> Receipt.parse("{\"v\":2}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(E2eeException.BadReceipt.class);
    }

    @Test
    void replayGuardIsBounded() {
        ReplayGuard guard = new ReplayGuard(2);
        assertThat(guard.firstUse(new byte[] {1})).isTrue();
        assertThat(guard.firstUse(new byte[] {1})).isFalse();
        assertThat(guard.full()).isFalse();
        assertThat(guard.firstUse(new byte[] {2})).isTrue();
        assertThat(guard.full()).isTrue();
        assertThat(guard.firstUse(new byte[] {3})).isFalse();
        assertThat(guard.size()).isEqualTo(2);
    }
}
