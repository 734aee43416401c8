package dev.veil.http;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes that bodies held in memory may take together, across every connection of the process. Each body has its
 * own cap (a request body, an upstream answer), but caps alone multiply: a few dozen clients sending their largest
 * allowed bodies, or a few upstreams sending answers that never end, would together need more heap than there is.
 * Readers reserve bytes here as they arrive and release them when the body is no longer held; a reader that cannot
 * reserve gives up with {@link Exhausted}, which the server answers with 503 and {@code Retry-After}, instead of the
 * process running out of memory for everyone. Thread-safe: shared by all event loops.
 */
public final class MemoryBudget {

    /** The share of the maximum heap that bodies may hold by default: the rest is for connections, streams and code. */
    public static final double DEFAULT_HEAP_SHARE = 0.5;

    /** A reservation failed: the budget is spent. Carries no content. */
    public static final class Exhausted extends Exception {
        /** The budget of {@code limit} bytes is spent. */
        public Exhausted(long limit) {
            super("the gateway's memory budget for bodies (" + limit + " bytes) is spent", null, false, false);
        }
    }

    private final long limit;
    private final AtomicLong reserved = new AtomicLong();

    private MemoryBudget(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("a memory budget needs a positive limit, not " + limit);
        }
        this.limit = limit;
    }

    /** A budget of {@code limit} bytes. */
    public static MemoryBudget of(long limit) {
        return new MemoryBudget(limit);
    }

    /** A budget of {@code share} of this JVM's maximum heap ({@code -Xmx}). */
    public static MemoryBudget ofHeap(double share) {
        return new MemoryBudget(Math.max(1, (long) (Runtime.getRuntime().maxMemory() * share)));
    }

    /** A budget that never runs out, for readers whose number is bounded elsewhere (a fixed pool of workers). */
    public static MemoryBudget unlimited() {
        return new MemoryBudget(Long.MAX_VALUE);
    }

    /** Reserves {@code bytes} if they fit; {@code false}, reserving nothing, if they do not. */
    public boolean tryReserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("cannot reserve " + bytes + " bytes");
        }
        while (true) {
            long now = reserved.get();
            if (bytes > limit - now) {
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back {@code bytes} reserved earlier. */
    public void release(long bytes) {
        if (bytes > 0) {
            reserved.addAndGet(-bytes);
        }
    }

    /** The bytes reserved now. */
    public long reserved() {
        return reserved.get();
    }

    /** The most that may be reserved at once. */
    public long limit() {
        return limit;
    }

    /** The failure to report when a reservation does not fit. */
    public Exhausted exhausted() {
        return new Exhausted(limit);
    }
}
