package dev.veil.gateway.batch.files;

import dev.veil.protocol.stream.StreamSealer;
import io.vertx.core.Future;
import io.vertx.core.Handler;

/**
 * Streams an upload into one encrypted part on an event loop: each buffer goes through the {@link StreamSealer}
 * (CPU only) and the ciphertext to the storage's {@link Target} (whose writes run off the loop), pausing the upload
 * while the target's write queue is full. Plaintext is never written anywhere; a size limit is enforced as bytes arrive.
 */
public final class UploadSink {

    /** Where an upload's ciphertext goes; used on the upload's event loop only. */
    public interface Target {
        /** Queues ciphertext (the array is the caller's no longer). */
        void write(byte[] ciphertext);

        /** Whether the queue is full: the upload pauses until the drain handler fires. */
        boolean writeQueueFull();

        void drainHandler(Handler<Void> handler);

        /** Writes what is queued and makes it durable. */
        Future<Void> finish();

        /** Stops after a failed upload (the caller then deletes the bytes). */
        Future<Void> abort();
    }

    private final Target target;
    private final StreamSealer sealer;
    private final long limit;
    private boolean tooLarge;

    UploadSink(Target target, byte[] dataKey, byte[] aad, long limit) {
        this.target = target;
        this.limit = limit;
        this.sealer = new StreamSealer(dataKey, aad, target::write);
    }

    /**
     * Encrypts and queues more of the upload.
     *
     * @return false when the upload passed the size limit (nothing more is taken; {@link #tooLarge()} is then true)
     */
    public boolean accept(byte[] data, int offset, int length) {
        if (tooLarge) {
            return false;
        }
        if (sealer.plaintextBytes() + length > limit) {
            tooLarge = true;
            return false;
        }
        sealer.update(data, offset, length);
        return true;
    }

    /** Whether the target's write queue is full: pause the upload until {@link #drainHandler} fires. */
    public boolean writeQueueFull() {
        return target.writeQueueFull();
    }

    public void drainHandler(Handler<Void> handler) {
        target.drainHandler(handler);
    }

    /** Writes the final segment and makes the part durable; completes with the plaintext size. */
    public Future<Long> finish() {
        sealer.finish();
        return target.finish().map(x -> sealer.plaintextBytes());
    }

    public boolean tooLarge() {
        return tooLarge;
    }

    /** Stops after a failed upload (its bytes are then deleted by the caller). */
    public Future<Void> abort() {
        return target.abort();
    }
}
