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
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Enforces a key's requests-per-minute, tokens-per-minute and budget. Rate limits are token buckets in this process's
 * memory. The budget is the key's spend in the current UTC day or month: read from the usage ledger (on the JDBC pool,
 * refreshed every minute, so several gateways sharing a store see each other's spend within a minute) plus what this
 * process settled since. Tokens and cost are settled when a request completes, so the request that crosses a limit
 * completes and the next one is refused.
 */
public final class KeyLimits {

    static final long BUDGET_REFRESH_MILLIS = 60_000;
    /** Settlements this recent may not be in the ledger yet (the metering writer batches every 200 ms). */
    static final long METERING_LAG_MILLIS = 2_000;

    private final UsageLedgerRepository ledger;
    private final WorkerExecutor jdbc;
    private final Clock clock;
    private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();

    public KeyLimits(UsageLedgerRepository ledger, WorkerExecutor jdbc, Clock clock) {
        this.ledger = ledger;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Per-key state; all access synchronized on the instance. */
    private static final class KeyState {
        TokenBucket requests;
        TokenBucket tokens;
        String period;
        long ledgerSpend;
        boolean ledgerLoaded;
        long ledgerLoadedAt;
        long loadStartedAt;
        final ArrayDeque<long[]> settled = new ArrayDeque<>();
    }

    /** Decides whether {@code key} may make a request now; counts it when admitted. */
    public Future<Admission> admit(ApiKeyRecord key) {
        KeyPolicy policy = key.policy();
        if (policy.rpm() == null && policy.tpm() == null && policy.budgetMicros() == null) {
            return Future.succeededFuture(new Admission(null, Map.of()));
        }
        KeyState state = states.computeIfAbsent(key.id(), id -> new KeyState());
        if (policy.budgetMicros() == null) {
            return Future.succeededFuture(rate(state, policy));
        }
        return budgetSpend(key.id(), state, policy).map(spent -> {
            if (spent >= policy.budgetMicros()) {
                return new Admission(new OpenAiError(429, "This key has used its budget of $"
                        + String.format(Locale.ROOT, "%.2f", policy.budgetMicros() / 1e6) + " for this "
                        + policy.budgetPeriod().wireName() + "; it renews on " + nextPeriodStart(policy) + " (UTC).",
                        "insufficient_quota", null, "budget_exceeded"),
                        Map.of(RETRY_AFTER, retryAfterSeconds(nextPeriodStart(policy).atStartOfDay(ZoneOffset.UTC)
                                .toInstant().toEpochMilli() - clock.millis())));
            }
            return rate(state, policy);
        });
    }

    /** Records what a completed request used: its tokens against tpm, its cost against the budget. */
    public void settle(ApiKeyRecord key, long tokens, long costMicros) {
        KeyState state = states.get(key.id());
        if (state == null) {
            return;
        }
        long now = clock.millis();
        synchronized (state) {
            if (state.tokens != null && tokens > 0) {
                state.tokens.take(tokens, now);
            }
            if (costMicros > 0) {
                state.settled.addLast(new long[] {now, costMicros});
            }
        }
    }

    private Admission rate(KeyState state, KeyPolicy policy) {
        long now = clock.millis();
        synchronized (state) {
            if (policy.rpm() != null && (state.requests == null || state.requests.limit() != policy.rpm())) {
                state.requests = new TokenBucket(policy.rpm(), now);
            }
            if (policy.tpm() != null && (state.tokens == null || state.tokens.limit() != policy.tpm())) {
                state.tokens = new TokenBucket(policy.tpm(), now);
            }
            boolean requestsOk = policy.rpm() == null || state.requests.has(1, now);
            boolean tokensOk = policy.tpm() == null || state.tokens.has(1, now);
            if (requestsOk && tokensOk && policy.rpm() != null) {
                state.requests.take(1, now);
            }
            Map<String, String> headers = headers(state, policy, now);
            if (!requestsOk) {
                headers.put(RETRY_AFTER, retryAfterSeconds(state.requests.millisUntil(1, now)));
                return new Admission(new OpenAiError(429, "Rate limit reached for requests: this key may make "
                        + policy.rpm() + " requests per minute. Retry after "
                        + duration(state.requests.millisUntil(1, now)) + ".", OpenAiError.RATE_LIMIT, null,
                        "rate_limit_exceeded"), headers);
            }
            if (!tokensOk) {
                headers.put(RETRY_AFTER, retryAfterSeconds(state.tokens.millisUntil(1, now)));
                return new Admission(new OpenAiError(429, "Rate limit reached for tokens: this key may use "
                        + policy.tpm() + " tokens per minute. Retry after "
                        + duration(state.tokens.millisUntil(1, now)) + ".", OpenAiError.RATE_LIMIT, null,
                        "rate_limit_exceeded"), headers);
            }
            return new Admission(null, headers);
        }
    }

    private static Map<String, String> headers(KeyState state, KeyPolicy policy, long now) {
        Map<String, String> h = new LinkedHashMap<>();
        if (policy.rpm() != null) {
            h.put("x-ratelimit-limit-requests", Long.toString(state.requests.limit()));
            h.put("x-ratelimit-remaining-requests", Long.toString(state.requests.remaining(now)));
            h.put("x-ratelimit-reset-requests", duration(state.requests.millisUntilFull(now)));
        }
        if (policy.tpm() != null) {
            h.put("x-ratelimit-limit-tokens", Long.toString(state.tokens.limit()));
            h.put("x-ratelimit-remaining-tokens", Long.toString(state.tokens.remaining(now)));
            h.put("x-ratelimit-reset-tokens", duration(state.tokens.millisUntilFull(now)));
        }
        return h;
    }

    /** The key's spend in the current period: the ledger's figure plus what was settled since it was read. */
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
                state.settled.clear();
            }
            load = !state.ledgerLoaded || now - state.ledgerLoadedAt >= BUDGET_REFRESH_MILLIS;
            if (load) {
                state.loadStartedAt = now;
            }
        }
        if (!load) {
            return Future.succeededFuture(current(state));
        }
        return jdbc.executeBlocking(() -> {
            long sum = 0;
            for (LedgerEntry e : ledger.forKey(keyId, from, today)) {
                sum += e.costMicros();
            }
            return sum;
        }, false).map(sum -> {
            synchronized (state) {
                state.ledgerSpend = sum;
                state.ledgerLoaded = true;
                state.ledgerLoadedAt = state.loadStartedAt;
                long cutoff = state.loadStartedAt - METERING_LAG_MILLIS;
                while (!state.settled.isEmpty() && state.settled.peekFirst()[0] < cutoff) {
                    state.settled.removeFirst();
                }
            }
            return current(state);
        });
    }

    private static long current(KeyState state) {
        synchronized (state) {
            long spend = state.ledgerSpend;
            for (long[] s : state.settled) {
                // Settled after the ledger was read (minus the metering lag): not in the ledger's figure yet.
                if (s[0] >= state.ledgerLoadedAt - METERING_LAG_MILLIS) {
                    spend += s[1];
                }
            }
            return spend;
        }
    }

    private static LocalDate periodStart(KeyPolicy policy, LocalDate today) {
        return policy.budgetPeriod() == KeyPolicy.BudgetPeriod.DAY ? today : today.withDayOfMonth(1);
    }

    /** RFC 9110 §10.2.3: whole seconds; clients (the OpenAI SDKs among them) wait this long before retrying. */
    static final String RETRY_AFTER = "retry-after";

    /** {@code millis} rounded up to whole seconds, at least 1. */
    static String retryAfterSeconds(long millis) {
        return Long.toString(Math.max(1, (millis + 999) / 1000));
    }

    private LocalDate nextPeriodStart(KeyPolicy policy) {
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));
        return policy.budgetPeriod() == KeyPolicy.BudgetPeriod.DAY ? today.plusDays(1) : today.withDayOfMonth(1).plusMonths(1);
    }

    /** OpenAI-style durations: {@code 250ms}, {@code 1.5s}, {@code 2m3s}. */
    static String duration(long millis) {
        if (millis < 1_000) {
            return millis + "ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0).replace(".0s", "s");
        }
        return (millis / 60_000) + "m" + ((millis % 60_000) / 1000) + "s";
    }
}
