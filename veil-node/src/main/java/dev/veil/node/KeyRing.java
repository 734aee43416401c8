package dev.veil.node;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The node's live HPKE keys: the current one (the one attested) and those rotated out less than a grace period ago,
 * which still decrypt so requests encrypted just before a rotation complete. A retired key past its grace is
 * refused even before the periodic sweep frees it, so the grace period is exact. Thread-safe: every event loop
 * looks keys up here.
 */
final class KeyRing {

    private record Retiring(NodeKey key, long deadlineNanos) {
    }

    private final int replayCapacity;
    private final long graceNanos;
    private final LongSupplier nanoClock;
    private final List<Retiring> retiring = new ArrayList<>();
    private volatile NodeKey current;

    /**
     * @param firstKeyId     the first key's {@code key_id} (0..255)
     * @param replayCapacity each key's replay bound; reaching it rotates the key
     * @param grace          how long a rotated-out key still decrypts
     * @param nanoClock      a monotonic clock in nanoseconds ({@code System::nanoTime} outside tests)
     */
    KeyRing(int firstKeyId, int replayCapacity, Duration grace, LongSupplier nanoClock) {
        this.replayCapacity = replayCapacity;
        this.graceNanos = grace.toNanos();
        this.nanoClock = nanoClock;
        this.current = NodeKey.generate(firstKeyId, replayCapacity);
    }

    /** The key the node attests and clients should encrypt to. */
    NodeKey current() {
        return current;
    }

    /** The live key named {@code nodeKeyId}, or {@code null} when there is none (never was, or past its grace). */
    synchronized NodeKey find(String nodeKeyId) {
        NodeKey now = current;
        if (now.nodeKeyId().equals(nodeKeyId)) {
            return now;
        }
        long time = nanoClock.getAsLong();
        for (Retiring r : retiring) {
            if (r.key().nodeKeyId().equals(nodeKeyId)) {
                return time - r.deadlineNanos() < 0 ? r.key() : null;
            }
        }
        return null;
    }

    /** Makes a fresh current key ({@code key_id} + 1 mod 256) and starts the previous one's grace period. */
    synchronized NodeKey rotate() {
        NodeKey previous = current;
        purgeExpired();
        if (graceNanos > 0) {
            retiring.add(new Retiring(previous, nanoClock.getAsLong() + graceNanos));
        }
        current = NodeKey.generate((previous.keyId() + 1) & 0xff, replayCapacity);
        return current;
    }

    /**
     * Rotates only if {@code key} is still the current key: several event loops may see the same full replay set at
     * once, and only one rotation is wanted.
     *
     * @return whether this call rotated
     */
    synchronized boolean rotateIfCurrent(NodeKey key) {
        if (current != key) {
            return false;
        }
        rotate();
        return true;
    }

    /** Drops retired keys past their grace, and their replay sets with them. */
    synchronized void purgeExpired() {
        long time = nanoClock.getAsLong();
        for (Iterator<Retiring> it = retiring.iterator(); it.hasNext(); ) {
            if (time - it.next().deadlineNanos() >= 0) {
                it.remove();
            }
        }
    }

    /** How many keys are held, current included (for tests and health). */
    synchronized int size() {
        return 1 + retiring.size();
    }
}
