package dev.veil.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the request_log retention period ({@code store.retention_days}). The usage ledger is left alone: it holds
 * only daily totals and is kept for billing. This is not a scheduler; the gateway decides when to call it.
 */
public final class RetentionPurger {

    private static final Logger log = LoggerFactory.getLogger(RetentionPurger.class);

    private RetentionPurger() {
    }

    /**
     * Deletes request_log rows created before {@code clock.instant() - retention}. Blocking JDBC.
     *
     * @return the number of rows deleted
     * @throws IllegalArgumentException when {@code retention} is not positive
     */
    public static int purge(Store store, Duration retention, Clock clock) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(clock, "clock");
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("retention must be positive");
        }
        Instant cutoff = clock.instant().minus(retention);
        int deleted = store.requests().purgeOlderThan(cutoff);
        log.info("retention purge removed {} request log rows older than {}", deleted, cutoff);
        return deleted;
    }
}
