package dev.veil.gateway.auth;

import dev.veil.store.ApiKeyRepository;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes revocations and policy changes made elsewhere (another gateway instance, {@code veil keys}) take effect here
 * within about {@value #POLL_MILLIS} ms: polls the store's key change counter and drops every cached key when it moved.
 *
 * <p>A poll of a one-row table rather than PostgreSQL {@code LISTEN/NOTIFY}: it works the same on SQLite, holds no
 * dedicated connection (and so works behind transaction-pooling proxies such as PgBouncer, where LISTEN does not), and
 * cannot miss a notification while a connection is being re-established; its cost is one primary-key read a second per
 * instance. The cache is dropped again on the poll after a change, so a lookup that read the key just before the change
 * committed cannot keep the old row for the cache's lifetime.
 */
public final class KeyChangeWatch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KeyChangeWatch.class);
    /** How often the counter is read: the bound on how long a change made elsewhere takes to apply here. */
    public static final long POLL_MILLIS = 1_000;

    private final Vertx vertx;
    private final ApiKeyRepository keys;
    private final WorkerExecutor jdbc;
    private final KeyAuthenticator authenticator;
    private final AtomicBoolean polling = new AtomicBoolean();
    private long timer = -1;
    private long seen = -1;
    private boolean dropAgain;
    private boolean failing;

    public KeyChangeWatch(Vertx vertx, ApiKeyRepository keys, WorkerExecutor jdbc, KeyAuthenticator authenticator) {
        this.vertx = vertx;
        this.keys = keys;
        this.jdbc = jdbc;
        this.authenticator = authenticator;
    }

    /** Reads the counter once (blocking the caller's thread, at start-up) and polls it from then on. */
    public void start() {
        seen = keys.changeVersion();
        timer = vertx.setPeriodic(POLL_MILLIS, id -> poll());
    }

    private void poll() {
        if (!polling.compareAndSet(false, true)) {
            return; // the previous read is still out (a slow store): one at a time
        }
        jdbc.executeBlocking(keys::changeVersion, false).onComplete(result -> {
            polling.set(false);
            if (result.failed()) {
                if (!failing) {
                    LOG.warn("key change poll failed ({}); keys already seen are served from memory meanwhile (docs/deployment.md)",
                            result.cause().getClass().getSimpleName());
                }
                failing = true;
                return;
            }
            failing = false;
            long version = result.result();
            if (version != seen || dropAgain) {
                dropAgain = version != seen;
                seen = version;
                authenticator.invalidateAll();
            }
        });
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
