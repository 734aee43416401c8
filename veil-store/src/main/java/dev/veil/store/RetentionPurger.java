package dev.veil.store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces the request log's retention: the operator's period ({@code store.retention_days}) for every key, and a
 * key's own shorter one ({@code request_log_retention_days} in its policy) for that key. Covers request_log rows and
 * the daily totals kept instead of them. The usage ledger is left alone: it holds only daily totals per key and model
 * and is kept for billing. This is not a scheduler; the gateway decides when to call it.
 */
public final class RetentionPurger {

    private static final Logger log = LoggerFactory.getLogger(RetentionPurger.class);

    private RetentionPurger() {
    }

    /**
     * Deletes request log rows created before {@code clock.instant() - retention}, and for every key whose policy
     * sets a shorter request log retention, that key's rows created before {@code clock.instant() - its retention}
     * (daily totals: the days that ended by then). Blocking JDBC.
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
        Instant now = clock.instant();
        Instant cutoff = now.minus(retention);
        int deleted = store.requests().purgeOlderThan(cutoff);
        int keys = 0;
        for (ApiKeyRecord key : store.apiKeys().list()) {
            Integer days = key.policy().requestLogRetentionDays();
            if (days != null && Duration.ofDays(days).compareTo(retention) < 0) {
                deleted += store.requests().purgeKeyOlderThan(key.id(), now.minus(Duration.ofDays(days)));
                keys++;
            }
        }
        store.dashboardSessions().purgeExpired(now);
        log.info("retention purge removed {} request log rows older than {} ({} keys with a shorter retention)",
                deleted, cutoff, keys);
        return deleted;
    }
}
