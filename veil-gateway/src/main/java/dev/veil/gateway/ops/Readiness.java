package dev.veil.gateway.ops;

import dev.veil.store.Store;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.function.Supplier;

/**
 * Whether this instance should receive traffic: the store answers and, when configured, Redis answers. Checked in the
 * background every {@value #CHECK_MILLIS} ms (one check of each at a time, each bounded), so a readiness probe costs no
 * I/O and a dead database cannot tie up the JDBC pool with probes. A result older than {@value #STALE_MILLIS} ms counts
 * as not ready.
 */
public final class Readiness implements AutoCloseable {

    static final long CHECK_MILLIS = 1_000;
    static final long STALE_MILLIS = 3_000;
    private static final int STORE_TIMEOUT_SECONDS = 2;

    private final Vertx vertx;
    private final Store store;
    private final WorkerExecutor jdbc;
    private final Supplier<Future<Void>> redisPing;
    private volatile long storeOkAt;
    private volatile long redisOkAt;
    private volatile boolean storeChecking;
    private volatile boolean redisChecking;
    private long timer = -1;

    /** @param redisPing a bounded Redis check, or {@code null} when no Redis is configured */
    public Readiness(Vertx vertx, Store store, WorkerExecutor jdbc, Supplier<Future<Void>> redisPing) {
        this.vertx = vertx;
        this.store = store;
        this.jdbc = jdbc;
        this.redisPing = redisPing;
    }

    /** Runs the first checks now and then every second. */
    public void start() {
        check();
        timer = vertx.setPeriodic(CHECK_MILLIS, id -> check());
    }

    /** What the probe reports. */
    public record State(boolean store, Boolean redis) {
        public boolean ready() {
            return store && (redis == null || redis);
        }
    }

    public State state() {
        long now = System.currentTimeMillis();
        return new State(now - storeOkAt < STALE_MILLIS, redisPing == null ? null : now - redisOkAt < STALE_MILLIS);
    }

    private void check() {
        if (!storeChecking) {
            storeChecking = true;
            jdbc.executeBlocking(() -> store.reachable(STORE_TIMEOUT_SECONDS), false).onComplete(result -> {
                storeChecking = false;
                if (result.succeeded() && result.result()) {
                    storeOkAt = System.currentTimeMillis();
                }
            });
        }
        if (redisPing != null && !redisChecking) {
            redisChecking = true;
            redisPing.get().onComplete(result -> {
                redisChecking = false;
                if (result.succeeded()) {
                    redisOkAt = System.currentTimeMillis();
                }
            });
        }
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
