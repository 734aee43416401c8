package dev.veil.protocol.e2ee;

import java.nio.charset.StandardCharsets;

/**
 * The fixed keys and request the e2ee fuzz targets share: derived from constant seeds, so a finding replays exactly
 * and the checked-in inputs (sealed with these keys) stay valid.
 */
final class E2eeFuzzFixture {

    static final RequestMeta META = new RequestMeta("/v1/chat/completions", "veil-fuzz-model", true);
    static final byte[] REQUEST = "{\"model\":\"veil-fuzz-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"stream\":true}"
            .getBytes(StandardCharsets.UTF_8);
    static final NodeKeyPair NODE = NodeKeyPair.derive(1, counting(0x00));
    static final SigningKey SIGNER = SigningKey.fromSeed(counting(0x40));
    /** The request sealed with a fixed ephemeral key; its response opener is what the response target feeds. */
    static final SealedRequest SEALED = SealedRequest.seal(NODE.keyConfig(), META, REQUEST, counting(0x20));

    private E2eeFuzzFixture() {
    }

    static byte[] counting(int from) {
        byte[] bytes = new byte[32];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (from + i);
        }
        return bytes;
    }
}
