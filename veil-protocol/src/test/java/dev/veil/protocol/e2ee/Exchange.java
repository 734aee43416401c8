package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One complete e2ee exchange made with the production code, for tests: a node key, a sealed and opened request, and
 * the response as the node sends it (nonce, sealed frames, receipt frame), each piece kept apart so tests can
 * rearrange them.
 */
final class Exchange {

    static final RequestMeta META = new RequestMeta("/v1/chat/completions", "veil-test-model", true);
    static final String CONTENT_TYPE = "text/event-stream";
    static final long CREATED = 1_767_225_600L;

    final NodeKeyPair node;
    final SigningKey signer;
    final ReplayGuard guard = new ReplayGuard(1024);
    final byte[] requestPlaintext;
    final SealedRequest sealed;
    final OpenedRequest opened;
    final byte[] responseNonce;
    /** The plaintext body chunks: all but the last are {@code chunk()}, the last is {@code finish()}. */
    final List<byte[]> chunks;
    /** The sealed frames as sent: head first, final last. */
    final List<byte[]> frames = new ArrayList<>();
    final byte[] responseHash;
    final Receipt receipt;
    final SignedReceipt signedReceipt;
    final byte[] receiptFrame;

    private Exchange(NodeKeyPair node, SigningKey signer, RequestMeta meta, byte[] requestPlaintext,
                     List<byte[]> chunks, byte[] responseNonce) throws E2eeException {
        this.node = node;
        this.signer = signer;
        this.requestPlaintext = requestPlaintext;
        this.sealed = SealedRequest.seal(node.keyConfig(), meta, requestPlaintext);
        this.opened = OpenedRequest.open(node, guard, meta, sealed.body());
        this.chunks = List.copyOf(chunks);
        ResponseSealer sealer = responseNonce == null ? opened.responseSealer() : opened.responseSealer(responseNonce);
        this.responseNonce = sealer.start();
        frames.add(sealer.head(200, CONTENT_TYPE));
        for (int i = 0; i < chunks.size() - 1; i++) {
            frames.add(sealer.chunk(chunks.get(i)));
        }
        frames.add(sealer.finish(chunks.get(chunks.size() - 1)));
        this.responseHash = sealer.responseHash();
        this.receipt = new Receipt(1, node.keyConfig().nodeKeyId(), meta.model(), meta.path(),
                E2ee.hex(opened.requestHash()), E2ee.hex(responseHash), 12, chunks.size(), CREATED);
        this.signedReceipt = SignedReceipt.sign(receipt, signer);
        this.receiptFrame = sealer.receiptFrame(signedReceipt);
    }

    /** A fresh node, signing key and request, with {@code n} SSE chunks (the last one {@code data: [DONE]}). */
    static Exchange create(int n) throws E2eeException {
        return create(NodeKeyPair.generate(1), SigningKey.generate(), n);
    }

    static Exchange create(NodeKeyPair node, SigningKey signer, int n) throws E2eeException {
        List<byte[]> chunks = new ArrayList<>();
        for (int i = 0; i < n - 1; i++) {
            chunks.add(sse("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word" + i + "\"}}]}"));
        }
        chunks.add(sse("[DONE]"));
        byte[] request = "{\"model\":\"veil-test-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}"
                .getBytes(StandardCharsets.UTF_8);
        return new Exchange(node, signer, META, request, chunks, null);
    }

    static byte[] sse(String data) {
        return ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The response body made of the nonce, the given frames and the extra trailing pieces. */
    byte[] body(List<byte[]> sealedFrames, byte[]... trailing) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(responseNonce);
        sealedFrames.forEach(out::writeBytes);
        for (byte[] t : trailing) {
            out.writeBytes(t);
        }
        return out.toByteArray();
    }

    /** The complete response body as the node sends it. */
    byte[] body() {
        return body(frames, receiptFrame);
    }

    /** Feeds {@code body} to a fresh opener in random pieces (some empty, some single bytes), then ends it. */
    static List<ResponseOpener.Part> feed(ResponseOpener opener, byte[] body, Random random) throws E2eeException {
        List<ResponseOpener.Part> parts = new ArrayList<>();
        int at = 0;
        while (at < body.length) {
            int n = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> 1;
                case 2 -> random.nextInt(8);
                default -> random.nextInt(96);
            };
            n = Math.min(n, body.length - at);
            byte[] piece = new byte[n];
            System.arraycopy(body, at, piece, 0, n);
            parts.addAll(opener.accept(piece));
            at += n;
        }
        opener.end();
        return parts;
    }

    static byte[] flip(byte[] bytes, int index, int bit) {
        byte[] copy = bytes.clone();
        copy[index] ^= (byte) (1 << bit);
        return copy;
    }
}
