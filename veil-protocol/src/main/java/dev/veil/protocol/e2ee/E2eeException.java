package dev.veil.protocol.e2ee;

/**
 * A failure of the e2ee protocol. Each kind of failure is its own subclass with a stable wire {@link #code()}; every
 * one is a hard error: no plaintext is ever released after it. Messages never contain plaintext.
 */
public abstract class E2eeException extends Exception {

    protected E2eeException(String message) {
        super(message);
    }

    protected E2eeException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The protocol error code, e.g. {@code e2ee_replay} (docs/e2ee.md §6). */
    public abstract String code();

    /** The suite or version is not v1's. */
    public static final class Unsupported extends E2eeException {
        public Unsupported(String message) {
            super(message);
        }

        @Override
        public String code() {
            return "e2ee_unsupported";
        }
    }

    /** Bytes or headers not shaped as the protocol says. */
    public static final class Malformed extends E2eeException {
        public Malformed(String message) {
            super(message);
        }

        @Override
        public String code() {
            return "e2ee_malformed";
        }
    }

    /** The request did not open: wrong key, tampered, or the clear routing metadata was changed. */
    public static final class DecryptFailed extends E2eeException {
        public DecryptFailed(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public String code() {
            return "e2ee_decrypt_failed";
        }
    }

    /** The request's encapsulated key was used before. */
    public static final class Replay extends E2eeException {
        public Replay() {
            super("this request's encapsulated key was already used; a request is accepted once");
        }

        @Override
        public String code() {
            return "e2ee_replay";
        }
    }

    /** No key with this id (rotated out, or never existed). */
    public static final class UnknownKey extends E2eeException {
        public UnknownKey() {
            super("no node holds this key any more; fetch the attestation again");
        }

        @Override
        public String code() {
            return "e2ee_unknown_key";
        }
    }

    /** A response frame failed authentication: tampered, reordered, dropped or replayed. */
    public static final class FrameRejected extends E2eeException {
        public FrameRejected(long index, Throwable cause) {
            super("response frame " + index + " failed authentication (tampered, reordered, dropped or replayed)", cause);
        }

        @Override
        public String code() {
            return "e2ee_frame_rejected";
        }
    }

    /** The response ended before its final frame. */
    public static final class Truncated extends E2eeException {
        public Truncated() {
            super("the encrypted response ended before its final frame (truncated)");
        }

        @Override
        public String code() {
            return "e2ee_truncated";
        }
    }

    /** Bytes after the final frame (other than one receipt). */
    public static final class TrailingData extends E2eeException {
        public TrailingData() {
            super("the encrypted response has data after its final frame");
        }

        @Override
        public String code() {
            return "e2ee_trailing_data";
        }
    }

    /** The node's receipt does not verify, or does not match the bytes exchanged. */
    public static final class BadReceipt extends E2eeException {
        public BadReceipt(String message) {
            super(message);
        }

        @Override
        public String code() {
            return "e2ee_bad_receipt";
        }
    }
}
