package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits an e2ee response body into its response nonce and frames as bytes arrive, without any key. The gateway uses
 * it to find the clear receipt frame for billing; the client's {@link ResponseOpener} uses it before decrypting.
 */
public final class FrameReader {

    /** One frame as sent: flags, payload, and the exact bytes (header included). */
    public record Frame(int flags, byte[] payload, byte[] raw) {
        public boolean receipt() {
            return (flags & E2ee.FLAG_RECEIPT) != 0;
        }

        public boolean last() {
            return (flags & E2ee.FLAG_FINAL) != 0;
        }
    }

    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private byte[] responseNonce;
    /**
     * How many pending bytes the next frame needs before it is complete (0: unknown yet). Until then new bytes are only
     * appended: a large frame arriving in many reads is copied once, not once per read.
     */
    private long needed;

    /** Takes the next bytes; returns the frames they completed. */
    public List<Frame> accept(byte[] data) throws E2eeException {
        pending.writeBytes(data);
        if (pending.size() < needed) {
            return List.of();
        }
        needed = 0;
        byte[] buffer = pending.toByteArray();
        int at = 0;
        if (responseNonce == null) {
            if (buffer.length < E2ee.RESPONSE_NONCE_LENGTH) {
                return List.of();
            }
            responseNonce = Arrays.copyOf(buffer, E2ee.RESPONSE_NONCE_LENGTH);
            at = E2ee.RESPONSE_NONCE_LENGTH;
        }
        List<Frame> frames = new ArrayList<>();
        while (buffer.length - at >= 5) {
            int flags = buffer[at] & 0xff;
            if ((flags & ~(E2ee.FLAG_FINAL | E2ee.FLAG_RECEIPT)) != 0) {
                throw new E2eeException.Malformed("unknown frame flags");
            }
            long length = ((long) (buffer[at + 1] & 0xff) << 24) | ((buffer[at + 2] & 0xff) << 16)
                    | ((buffer[at + 3] & 0xff) << 8) | (buffer[at + 4] & 0xff);
            if (length > E2ee.MAX_FRAME) {
                throw new E2eeException.Malformed("frame larger than the protocol allows");
            }
            if (buffer.length - at - 5 < length) {
                needed = 5 + length;
                break;
            }
            int end = at + 5 + (int) length;
            frames.add(new Frame(flags, Arrays.copyOfRange(buffer, at + 5, end), Arrays.copyOfRange(buffer, at, end)));
            at = end;
        }
        pending.reset();
        pending.write(buffer, at, buffer.length - at);
        return frames;
    }

    /** The response nonce, once its 32 bytes have arrived. */
    public byte[] responseNonce() {
        return responseNonce == null ? null : responseNonce.clone();
    }

    /** Whether bytes of an incomplete frame (or nonce) are waiting. */
    public boolean hasPartialData() {
        return pending.size() > 0 || responseNonce == null;
    }
}
