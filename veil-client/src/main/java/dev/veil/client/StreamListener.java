package dev.veil.client;

import dev.veil.protocol.e2ee.Receipt;

/**
 * Receives a streamed e2ee answer from {@link VeilClient#stream}, on the calling thread, in order:
 * {@link #onGatewayReceipt} once (through a gateway), {@link #onHead} once, {@link #onChunk} for each decrypted chunk as it arrives, then {@link #onReceipt} once the body ended cleanly
 * and the node's receipt verified.
 *
 * <p>Each chunk has passed its own authentication (AES-GCM under the request's response key, at its position), so it
 * is genuine and in order; the stream as a whole is complete and signed only when {@link #onReceipt} is called. On any
 * failure {@code stream} throws and no further method is called: treat what arrived so far as incomplete.
 *
 * <p>A listener that throws aborts the stream; its exception propagates from {@code stream}.
 */
public interface StreamListener {

    /**
     * The gateway's signed privacy receipt for this request, verified (docs/privacy.md, "Signed receipts"), before
     * anything else; not called when a node was reached directly (none is signed).
     */
    default void onGatewayReceipt(VerifiedGatewayReceipt receipt) {
    }

    /**
     * The engine's HTTP status and content type (e.g. {@code text/event-stream} for a stream, or
     * {@code application/json} when the engine answered with an error).
     */
    default void onHead(int status, String contentType) {
    }

    /**
     * One decrypted chunk: one complete server-sent event (e.g. {@code data: {...}\n\n}, {@code data: [DONE]\n\n}
     * included) for a stream, or the whole JSON body otherwise. The array is the listener's to keep.
     */
    void onChunk(byte[] data);

    /** The verified receipt: the answer is complete and signed by the attested node. Called last. */
    default void onReceipt(Receipt receipt) {
    }
}
