package dev.veil.it;

import java.time.Duration;
import java.util.concurrent.Callable;

/** Polls a condition until it holds or a deadline passes; fails with a message when it never holds. */
final class Eventually {

    private Eventually() {
    }

    static void await(Duration timeout, String what, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (Boolean.TRUE.equals(condition.call())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + timeout + ": " + what);
            }
            Thread.sleep(20);
        }
    }
}
