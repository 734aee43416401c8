package dev.veil.gateway.dashboard;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds dashboard login attempts, in this instance's memory: at most {@link #PER_ADDRESS} a minute from one client
 * address, and at most {@link #FAILED_OVERALL} failed ones a minute from all addresses together (guessing from many
 * addresses). An attacker can so lock the dashboard for a minute at a time but gets about a hundred guesses a minute,
 * against tokens of 256 random bits. The addresses live only here, for a minute, never in logs or the store.
 */
public final class LoginThrottle {

    static final int PER_ADDRESS = 10;
    static final int FAILED_OVERALL = 100;
    private static final long WINDOW_MILLIS = Duration.ofMinutes(1).toMillis();

    private final Cache<String, AtomicInteger> attempts = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(Duration.ofMillis(WINDOW_MILLIS)).build();
    private final AtomicLong failedWindowStart = new AtomicLong();
    private final AtomicInteger failed = new AtomicInteger();

    /** Counts an attempt from {@code address}; {@code false} when it is over a limit and must be refused. */
    public boolean tryAttempt(String address) {
        if (failedInWindow() >= FAILED_OVERALL) {
            return false;
        }
        return attempts.get(address == null ? "?" : address, a -> new AtomicInteger()).incrementAndGet() <= PER_ADDRESS;
    }

    /** Records a failed attempt (wrong token). */
    public void failed() {
        failedInWindow();
        failed.incrementAndGet();
    }

    private int failedInWindow() {
        long now = System.currentTimeMillis();
        long start = failedWindowStart.get();
        if (now - start >= WINDOW_MILLIS && failedWindowStart.compareAndSet(start, now)) {
            failed.set(0);
        }
        return failed.get();
    }
}
