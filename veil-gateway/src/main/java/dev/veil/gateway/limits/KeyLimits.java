package dev.veil.gateway.limits;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.OpenAiError;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.LedgerEntry;
import dev.veil.store.UsageLedgerRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enforces a key's requests-per-minute, tokens-per-minute, concurrent requests and budget. Rate and concurrency limits
 * and recent spend are counted by a {@link RateLimiter}: in this process's memory by default, or shared by every
 * gateway instance in Redis ({@code redis.url}). The budget is the key's spend in the current UTC day or month: read
 * from the usage ledger (on the JDBC pool, refreshed every minute) plus the spend the limiter counted since the ledger
 * was read (what this process settled, or with Redis what every instance settled). Tokens and cost are settled when a
 * request completes, so the request that crosses a limit completes and the next one is refused.
 */
public final class KeyLimits {

    static final long BUDGET_REFRESH_MILLIS = 60_000;
    /** Settlements this recent may not be in the ledger yet (the metering writer batches every 200 ms). */
    static final long METERING_LAG_MILLIS = 2_000;

    private final UsageLedgerRepository ledger;
    private final WorkerExecutor jdbc;
    private final Clock clock;
    private final RateLimiter rates;
    private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();

    /** Limits counted in this process's memory. */
    public KeyLimits(UsageLedgerRepository ledger, WorkerExecutor jdbc, Clock clock) {
        this(ledger, jdbc, clock, new LocalRateLimiter(clock));
    }

    /** Limits whose rates and concurrency {@code rates} counts. */
    public KeyLimits(UsageLedgerRepository ledger, WorkerExecutor jdbc, Clock clock, RateLimiter rates) {
        this.ledger = ledger;
        this.jdbc = jdbc;
        this.clock = clock;
        this.rates = rates;
    }

    /** Per-key budget state; all access synchronized on the instance. */
    private static final class KeyState {
        String period;
        long ledgerSpend;
        boolean ledgerLoaded;
        long ledgerLoadedAt;
        long loadStartedAt;
    }

    /**
     * Decides whether a client request of {@code key} may start now; counts it when admitted. An admitted request of a
     * key with {@code max_concurrent} holds the admission's {@link Lease} until it completes.
     */
    public Future<Admission> admit(ApiKeyRecord key) {
        return admit(key, true);
    }

    /** As {@link #admit(ApiKeyRecord)} for a batch line: rates and budget, no in-flight slot. */
    public Future<Admission> admitBatchLine(ApiKeyRecord key) {
        return admit(key, false);
    }

    private Future<Admission> admit(ApiKeyRecord key, boolean live) {
        KeyPolicy policy = key.policy();
        boolean rated = policy.hasRateLimits();
        if (!rated && policy.budgetMicros() == null) {
            return Future.succeededFuture(new Admission(null, Map.of()));
        }
        if (policy.budgetMicros() == null) {
            return rates.admit(key.id(), policy, live);
        }
        KeyState state = states.computeIfAbsent(key.id(), id -> new KeyState());
        return budgetSpend(key.id(), state, policy).recover(failure -> failure instanceof RateLimiter.Unavailable
                ? Future.succeededFuture(-1L) : Future.failedFuture(failure)).compose(spent -> {
            if (spent < 0) {
                return Future.succeededFuture(RateLimiter.Unavailable.ADMISSION);
            }
            if (spent >= policy.budgetMicros()) {
                return Future.succeededFuture(new Admission(new OpenAiError(429, "This key has used its budget of $"
                        + String.format(Locale.ROOT, "%.2f", policy.budgetMicros() / 1e6) + " for this "
                        + policy.budgetPeriod().wireName() + "; it renews on " + nextPeriodStart(policy) + " (UTC).",
                        "insufficient_quota", null, "budget_exceeded"),
                        Map.of(RETRY_AFTER, retryAfterSeconds(nextPeriodStart(policy).atStartOfDay(ZoneOffset.UTC)
                                .toInstant().toEpochMilli() - clock.millis()))));
            }
            return rated ? rates.admit(key.id(), policy, live) : Future.succeededFuture(new Admission(null, Map.of()));
        });
    }

    /**
     * Where a key with a budget stands: its spend in the current period, counted as admission counts it, and the
     * period's bounds. Empty for a key without a budget.
     */
    public Future<java.util.Optional<BudgetStatus>> budget(ApiKeyRecord key) {
        KeyPolicy policy = key.policy();
        if (policy.budgetMicros() == null) {
            return Future.succeededFuture(java.util.Optional.empty());
        }
        KeyState state = states.computeIfAbsent(key.id(), id -> new KeyState());
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        return budgetSpend(key.id(), state, policy).map(spent -> java.util.Optional.of(new BudgetStatus(
                policy.budgetMicros(), spent, periodStart(policy, today), nextPeriodStart(policy))));
    }

    /**
     * A budget's state.
     *
     * @param budgetMicros the budget per period, in millionths of a US dollar
     * @param spentMicros  spent in the current period
     * @param periodStart  the first UTC day of the current period
     * @param renewsOn     the UTC day the next period begins
     */
    public record BudgetStatus(long budgetMicros, long spentMicros, LocalDate periodStart, LocalDate renewsOn) {
        /** What is left, never below zero. */
        public long remainingMicros() {
            return Math.max(0, budgetMicros - spentMicros);
        }
    }

    /** Records what a completed request used: its tokens against tpm, its cost against the budget. */
    public void settle(ApiKeyRecord key, long tokens, long costMicros) {
        KeyPolicy policy = key.policy();
        if (policy.tpm() != null && tokens > 0) {
            rates.settle(key.id(), policy, tokens);
        }
        if (policy.budgetMicros() != null && costMicros > 0) {
            rates.settleSpend(key.id(), costMicros);
        }
    }

    /** Stops the rate limiter's background work. */
    public void close() {
        rates.close();
    }

    /**
     * The key's spend in the current period: the ledger's figure plus what the limiter counted since the ledger was
     * read (minus the metering lag: settlements that recent may not be in the ledger yet, so they are counted from the
     * limiter; counting one twice only refuses a little early).
     */
    private Future<Long> budgetSpend(String keyId, KeyState state, KeyPolicy policy) {
        long now = clock.millis();
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        LocalDate from = periodStart(policy, today);
        String period = from.toString();
        boolean load;
        synchronized (state) {
            if (!period.equals(state.period)) {
                state.period = period;
                state.ledgerLoaded = false;
            }
            load = !state.ledgerLoaded || now - state.ledgerLoadedAt >= BUDGET_REFRESH_MILLIS;
            if (load) {
                state.loadStartedAt = now;
            }
        }
        if (!load) {
            return current(keyId, state);
        }
        return jdbc.executeBlocking(() -> {
            long sum = 0;
            for (LedgerEntry e : ledger.forKey(keyId, from, today)) {
                sum += e.costMicros();
            }
            return sum;
        }, false).compose(sum -> {
            synchronized (state) {
                state.ledgerSpend = sum;
                state.ledgerLoaded = true;
                state.ledgerLoadedAt = state.loadStartedAt;
            }
            return current(keyId, state);
        });
    }

    private Future<Long> current(String keyId, KeyState state) {
        long ledgerSpend;
        long since;
        synchronized (state) {
            ledgerSpend = state.ledgerSpend;
            since = state.ledgerLoadedAt - METERING_LAG_MILLIS;
        }
        return rates.spendSince(keyId, since).map(recent -> ledgerSpend + recent);
    }

    private static LocalDate periodStart(KeyPolicy policy, LocalDate today) {
        return policy.budgetPeriod() == KeyPolicy.BudgetPeriod.DAY ? today : today.withDayOfMonth(1);
    }

    static final String RETRY_AFTER = LimitReplies.RETRY_AFTER;

    /** {@code millis} rounded up to whole seconds, at least 1. */
    static String retryAfterSeconds(long millis) {
        return LimitReplies.retryAfterSeconds(millis);
    }

    private LocalDate nextPeriodStart(KeyPolicy policy) {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        return policy.budgetPeriod() == KeyPolicy.BudgetPeriod.DAY ? today.plusDays(1) : today.withDayOfMonth(1).plusMonths(1);
    }
}
