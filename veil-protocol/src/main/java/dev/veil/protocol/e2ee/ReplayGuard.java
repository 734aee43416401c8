package dev.veil.protocol.e2ee;

import java.nio.ByteBuffer;
import java.util.LinkedHashSet;

/**
 * Remembers the encapsulated keys a node key has accepted, so a replayed request is refused. Bounded: when it is
 * full, {@link #full()} says so and the node rotates its key (a fresh key starts a fresh set). Thread-safe.
 */
public final class ReplayGuard {

    private final int capacity;
    private final LinkedHashSet<ByteBuffer> seen = new LinkedHashSet<>();

    public ReplayGuard(int capacity) {
        this.capacity = capacity;
    }

    /** Records {@code enc}; false when it was seen before (a replay) or the guard is full. */
    public synchronized boolean firstUse(byte[] enc) {
        if (seen.size() >= capacity) {
            return false;
        }
        return seen.add(ByteBuffer.wrap(enc.clone()));
    }

    public synchronized boolean full() {
        return seen.size() >= capacity;
    }

    public synchronized int size() {
        return seen.size();
    }
}
