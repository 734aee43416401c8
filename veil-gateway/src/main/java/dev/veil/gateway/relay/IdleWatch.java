package dev.veil.gateway.relay;

import io.vertx.core.Vertx;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The idle timeout of one upstream answer after its head arrived, for as long as it lasts, streams included. Vert.x's
 * request idle timeout ends when the response head arrives, so without this an upstream that stalls mid-body holds the
 * client until the upstream itself gives up.
 *
 * <p>Cheap on the hot path: every received chunk only records the time ({@link #touch()}); a single timer per answer
 * fires after the idle timeout and, when bytes arrived meanwhile, re-arms itself for the remainder instead of being
 * cancelled and re-armed per chunk. Confined to the answer's event loop.
 */
public final class IdleWatch {

    /** The upstream went silent past its idle timeout. */
    public static final class Expired extends TimeoutException {
        Expired() {
            super("the upstream sent nothing within its idle timeout");
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    private final Vertx vertx;
    private final long idleNanos;
    private final Runnable onIdle;
    private long lastNanos;
    private long timerId = -1;
    private boolean stopped;
    private boolean suspended;

    private IdleWatch(Vertx vertx, long idleMillis, Runnable onIdle) {
        this.vertx = vertx;
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
        this.onIdle = onIdle;
    }

    /** Starts watching now: {@code onIdle} runs (once) when nothing was {@linkplain #touch() received} for {@code idleMillis}. */
    public static IdleWatch start(Vertx vertx, long idleMillis, Runnable onIdle) {
        IdleWatch watch = new IdleWatch(vertx, idleMillis, onIdle);
        watch.lastNanos = System.nanoTime();
        watch.timerId = vertx.setTimer(Math.max(1, idleMillis), watch::check);
        return watch;
    }

    /** Bytes arrived. */
    public void touch() {
        lastNanos = System.nanoTime();
    }

    /** The reader paused the answer (backpressure): silence from now on is not the upstream's. */
    public void suspend() {
        suspended = true;
    }

    /** The reader resumed the answer: the idle time counts again from now. */
    public void resume() {
        suspended = false;
        lastNanos = System.nanoTime();
    }

    /** The answer ended (or failed); the watch will not fire. */
    public void stop() {
        if (!stopped) {
            stopped = true;
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
                timerId = -1;
            }
        }
    }

    private void check(long id) {
        timerId = -1;
        if (stopped) {
            return;
        }
        long silent = suspended ? 0 : System.nanoTime() - lastNanos;
        if (silent >= idleNanos) {
            stopped = true;
            onIdle.run();
        } else {
            timerId = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(idleNanos - silent) + 1), this::check);
        }
    }
}
