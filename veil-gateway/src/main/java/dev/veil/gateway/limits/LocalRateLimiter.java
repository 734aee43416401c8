package dev.veil.gateway.limits;

import dev.veil.protocol.KeyPolicy;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Rate and concurrency limits in this process's memory: token buckets refilled continuously ({@code rpm} and
 * {@code tpm} a minute, holding at most one minute's worth) and a count of requests in flight. Exact for one gateway;
 * with several, each counts on its own (use {@link SharedRateLimiter}).
 */
public final class LocalRateLimiter implements RateLimiter {

    private final Clock clock;
    private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();

    public LocalRateLimiter(Clock clock) {
        this.clock = clock;
    }

    /** Per-key state; all access synchronized on the instance. */
    private static final class KeyState {
        TokenBucket requests;
        TokenBucket tokens;
        int inFlight;
        /** Settled costs, oldest first: {epoch millis, micro-dollars}; kept for {@link #SPEND_HORIZON_MILLIS}. */
        final ArrayDeque<long[]> spend = new ArrayDeque<>();
    }

    @Override
    public Future<Admission> admit(String keyId, KeyPolicy policy, boolean live) {
        return Future.succeededFuture(decide(keyId, policy, live));
    }

    /** The decision, without a future: the shared limiter's fail-open path uses it too. */
    Admission decide(String keyId, KeyPolicy policy, boolean live) {
        KeyState state = states.computeIfAbsent(keyId, id -> new KeyState());
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
            boolean countsInFlight = live && policy.maxConcurrent() != null;
            boolean slotOk = !countsInFlight || state.inFlight < policy.maxConcurrent();
            Map<String, String> headers = headers(state, policy, now);
            if (!requestsOk) {
                long wait = state.requests.millisUntil(1, now);
                LimitReplies.retryAfter(headers, wait);
                return new Admission(LimitReplies.requests(policy, wait), headers);
            }
            if (!tokensOk) {
                long wait = state.tokens.millisUntil(1, now);
                LimitReplies.retryAfter(headers, wait);
                return new Admission(LimitReplies.tokens(policy, wait), headers);
            }
            if (!slotOk) {
                LimitReplies.retryAfter(headers, 1_000);
                return new Admission(LimitReplies.concurrency(policy), headers);
            }
            if (policy.rpm() != null) {
                state.requests.take(1, now);
                headers = headers(state, policy, now);
            }
            if (!countsInFlight) {
                return new Admission(null, headers);
            }
            state.inFlight++;
            return new Admission(null, headers, new SlotLease(state));
        }
    }

    @Override
    public void settle(String keyId, KeyPolicy policy, long tokens) {
        KeyState state = states.get(keyId);
        if (state == null || tokens <= 0) {
            return;
        }
        long now = clock.millis();
        synchronized (state) {
            if (state.tokens != null) {
                state.tokens.take(tokens, now);
            }
        }
    }

    @Override
    public void settleSpend(String keyId, long costMicros) {
        KeyState state = states.computeIfAbsent(keyId, id -> new KeyState());
        long now = clock.millis();
        synchronized (state) {
            forgetOldSpend(state, now);
            state.spend.addLast(new long[] {now, costMicros});
        }
    }

    @Override
    public Future<Long> spendSince(String keyId, long sinceMillis) {
        return Future.succeededFuture(localSpendSince(keyId, sinceMillis));
    }

    /** As {@link #spendSince}, without a future. */
    long localSpendSince(String keyId, long sinceMillis) {
        KeyState state = states.get(keyId);
        if (state == null) {
            return 0;
        }
        synchronized (state) {
            forgetOldSpend(state, clock.millis());
            long sum = 0;
            for (long[] settled : state.spend) {
                if (settled[0] >= sinceMillis) {
                    sum += settled[1];
                }
            }
            return sum;
        }
    }

    private static void forgetOldSpend(KeyState state, long now) {
        while (!state.spend.isEmpty() && state.spend.peekFirst()[0] < now - SPEND_HORIZON_MILLIS) {
            state.spend.removeFirst();
        }
    }

    private static Map<String, String> headers(KeyState state, KeyPolicy policy, long now) {
        Map<String, String> h = new LinkedHashMap<>();
        if (policy.rpm() != null) {
            h.put("x-ratelimit-limit-requests", Long.toString(state.requests.limit()));
            h.put("x-ratelimit-remaining-requests", Long.toString(state.requests.remaining(now)));
            h.put("x-ratelimit-reset-requests", LimitReplies.duration(state.requests.millisUntilFull(now)));
        }
        if (policy.tpm() != null) {
            h.put("x-ratelimit-limit-tokens", Long.toString(state.tokens.limit()));
            h.put("x-ratelimit-remaining-tokens", Long.toString(state.tokens.remaining(now)));
            h.put("x-ratelimit-reset-tokens", LimitReplies.duration(state.tokens.millisUntilFull(now)));
        }
        return h;
    }

    /** One in-flight slot of a key; gives it back once. */
    private static final class SlotLease implements Lease {
        private final KeyState state;
        private final AtomicBoolean released = new AtomicBoolean();

        SlotLease(KeyState state) {
            this.state = state;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                synchronized (state) {
                    state.inFlight--;
                }
            }
        }
    }
}
