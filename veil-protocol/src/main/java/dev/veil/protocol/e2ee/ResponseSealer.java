package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The node side of one response: emits the response nonce, the sealed head, body chunks and final frame, and the
 * clear receipt frame, in that order, keeping the running SHA-256 the receipt signs. Not thread-safe: one response.
 */
public final class ResponseSealer {

    private final ResponseKeys keys;
    private final byte[] responseNonce;
    private final MessageDigest hash;
    private long index;
    private boolean started;
    private boolean finished;

    ResponseSealer(ResponseKeys keys, byte[] responseNonce) {
        this.keys = keys;
        this.responseNonce = responseNonce.clone();
        try {
            this.hash = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The response nonce: the first 32 bytes of the response body. */
    public byte[] start() {
        if (started) {
            throw new IllegalStateException("already started");
        }
        started = true;
        hash.update(responseNonce);
        return responseNonce.clone();
    }

    /** The head frame: the engine's HTTP status and content type. */
    public byte[] head(int status, String contentType) {
        String json = "{\"status\":" + status + ",\"content_type\":" + quote(contentType) + "}";
        return frame(0, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A body chunk (a whole answer, or one SSE event). */
    public byte[] chunk(byte[] data) {
        return frame(0, data);
    }

    /** The final sealed frame, possibly carrying the last data. */
    public byte[] finish(byte[] data) {
        byte[] frame = frame(E2ee.FLAG_FINAL, data);
        finished = true;
        return frame;
    }

    /** SHA-256 of the nonce and every sealed frame so far: the receipt's {@code response_sha256}. */
    public byte[] responseHash() {
        try {
            return ((MessageDigest) hash.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The clear receipt frame, after the final frame. */
    public byte[] receiptFrame(SignedReceipt receipt) {
        if (!finished) {
            throw new IllegalStateException("the receipt follows the final frame");
        }
        return encodeFrame(E2ee.FLAG_RECEIPT, receipt.toFramePayload());
    }

    private byte[] frame(int flags, byte[] data) {
        if (!started || finished) {
            throw new IllegalStateException(started ? "the response is finished" : "start() first");
        }
        byte[] frame = encodeFrame(flags, keys.seal(index++, flags, data));
        hash.update(frame);
        return frame;
    }

    static byte[] encodeFrame(int flags, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 5);
        out.write(flags);
        E2ee.u32(out, payload.length);
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\');
            }
            if (c >= 0x20) {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }
}
