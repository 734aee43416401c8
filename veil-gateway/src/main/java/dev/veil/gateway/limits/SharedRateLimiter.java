package dev.veil.gateway.limits;

import dev.veil.protocol.KeyPolicy;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rate and concurrency limits shared by every gateway instance through one Redis (or Valkey). Each decision is one Lua
 * script, so it is atomic across instances, and uses Redis's clock, so the instances' clocks do not matter.
 *
 * <p>{@code rpm} and {@code tpm} are counted in a sliding window of sixty one-second slots (a hash per key and limit):
 * a request is admitted while the slots of the last sixty seconds hold fewer than {@code rpm} requests and fewer than
 * {@code tpm} tokens. A count leaves the window between 59 and 60 seconds after it was made, so no window of 59 seconds
 * ever admits more than {@code rpm} requests across all instances. Tokens are added when a request completes, as in
 * one process: the request that crosses {@code tpm} completes and the next is refused.
 *
 * <p>{@code max_concurrent} is a sorted set of leases (one per request in flight) scored by their expiry. Every
 * instance renews the leases it holds every {@value #LEASE_RENEW_MILLIS} ms; a lease of an instance that died expires
 * {@value #LEASE_TTL_MILLIS} ms after its last renewal, so slots it held come back within that bound.
 *
 * <p>Budgets: the cost of every completed request of a key with a budget is added to a window of one-second slots kept
 * for {@link #SPEND_HORIZON_MILLIS}; {@link KeyLimits} adds what every instance settled since it last read the usage
 * ledger to the ledger's figure.
 *
 * <p>Redis keys are {@code veil:limits:{<hash>}:requests|tokens|inflight|spend}, where the hash is the first 128 bits of the
 * SHA-256 of the key id: nothing from the request, and not the key id itself. The braces keep a key's entries in
 * one Redis Cluster slot, as a script needs.
 *
 * <p>Every call is bounded by {@code timeoutMs}. When Redis fails or times out the limiter applies the deployment's
 * {@link FailMode} and, for the next {@value #RETRY_PAUSE_MILLIS} ms, answers from the fail mode without calling Redis
 * (so a dead Redis does not add its timeout to every request); after that the next request tries again.
 */
public final class SharedRateLimiter implements RateLimiter {

    private static final Logger LOG = LoggerFactory.getLogger(SharedRateLimiter.class);

    /** How long a lease lives without renewal. */
    public static final long LEASE_TTL_MILLIS = 60_000;
    /** How often an instance renews the leases it holds. */
    public static final long LEASE_RENEW_MILLIS = 20_000;
    /** After a failure, how long Redis is not called again. */
    static final long RETRY_PAUSE_MILLIS = 1_000;

    /** What a request of a key with limits gets while Redis cannot be reached. */
    public enum FailMode {
        /** Refused with 503 {@code rate_limiter_unavailable} and {@code Retry-After}. */
        FAIL_CLOSED,
        /** Counted by this instance alone (its in-memory limits), until Redis answers again. */
        FAIL_OPEN;

        /** {@code fail_closed} or {@code fail_open}. */
        public static FailMode fromWireName(String name) {
            return switch (name) {
                case "fail_closed" -> FAIL_CLOSED;
                case "fail_open" -> FAIL_OPEN;
                default -> throw new IllegalArgumentException("expected fail_closed or fail_open");
            };
        }
    }

    /*
     * KEYS: requests window, tokens window, in-flight leases. ARGV: rpm, tpm, max_concurrent (0 = none), lease id
     * ('' = no slot wanted), lease ttl ms.
     * Returns {outcome (0 admitted, 1 requests, 2 tokens, 3 concurrency), requests used, ms until the requests window
     * is empty, tokens used, ms until the tokens window is empty, ms until a refused request could pass}.
     */
    private static final String ADMIT = """
            local t = redis.call('TIME')
            local sec = tonumber(t[1])
            local now = sec * 1000 + math.floor(tonumber(t[2]) / 1000)
            local function window(key)
              local used, slots = 0, {}
              local flat = redis.call('HGETALL', key)
              for i = 1, #flat, 2 do
                local s = tonumber(flat[i])
                if s <= sec - 60 then
                  redis.call('HDEL', key, flat[i])
                else
                  local n = tonumber(flat[i + 1])
                  used = used + n
                  slots[#slots + 1] = {s, n}
                end
              end
              table.sort(slots, function(a, b) return a[1] < b[1] end)
              return used, slots
            end
            local function wait(slots, used, limit, need)
              local over = used + need - limit
              if over <= 0 then return 0 end
              local freed = 0
              for _, slot in ipairs(slots) do
                freed = freed + slot[2]
                if freed >= over then return (slot[1] + 60) * 1000 - now end
              end
              return 60000
            end
            local rpm, tpm, maxc = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local lease, ttl = ARGV[4], tonumber(ARGV[5])
            local rUsed, rSlots, tUsed, tSlots = 0, {}, 0, {}
            if rpm > 0 then rUsed, rSlots = window(KEYS[1]) end
            if tpm > 0 then tUsed, tSlots = window(KEYS[2]) end
            local outcome, retry = 0, 0
            if rpm > 0 and rUsed >= rpm then
              outcome, retry = 1, wait(rSlots, rUsed, rpm, 1)
            elseif tpm > 0 and tUsed >= tpm then
              outcome, retry = 2, wait(tSlots, tUsed, tpm, 1)
            elseif maxc > 0 and lease ~= '' then
              redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
              if redis.call('ZCARD', KEYS[3]) >= maxc then outcome, retry = 3, 1000 end
            end
            if outcome == 0 then
              if rpm > 0 then
                redis.call('HINCRBY', KEYS[1], sec, 1)
                redis.call('PEXPIRE', KEYS[1], 61000)
                rUsed = rUsed + 1
                rSlots[#rSlots + 1] = {sec, 1}
              end
              if maxc > 0 and lease ~= '' then
                redis.call('ZADD', KEYS[3], now + ttl, lease)
                redis.call('PEXPIRE', KEYS[3], ttl)
              end
            end
            return {outcome, rUsed, wait(rSlots, rUsed, rpm, rpm), tUsed, wait(tSlots, tUsed, tpm, tpm), retry}
            """;

    /** KEYS: tokens window. ARGV: tokens. */
    private static final String SETTLE = """
            local t = redis.call('TIME')
            redis.call('HINCRBY', KEYS[1], t[1], tonumber(ARGV[1]))
            redis.call('PEXPIRE', KEYS[1], 61000)
            return 1
            """;

    /** KEYS: in-flight leases. ARGV: ttl ms, lease ids. Pushes the expiry of the leases that still exist. */
    private static final String RENEW = """
            local t = redis.call('TIME')
            local expiry = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
            for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', expiry, ARGV[i]) end
            redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
            return 1
            """;

    /** KEYS: spend window. ARGV: micro-dollars. One slot per second of Redis's clock, kept for the spend horizon. */
    private static final String SETTLE_SPEND = """
            local t = redis.call('TIME')
            redis.call('HINCRBY', KEYS[1], t[1], tonumber(ARGV[1]))
            redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
            return 1
            """;

    /**
     * KEYS: spend window. ARGV: first second to count, horizon in seconds. Sums the slots from that second on and
     * deletes the slots older than the horizon.
     */
    private static final String SPEND_SINCE = """
            local t = redis.call('TIME')
            local oldest = tonumber(t[1]) - tonumber(ARGV[2])
            local since = tonumber(ARGV[1])
            local sum = 0
            local flat = redis.call('HGETALL', KEYS[1])
            for i = 1, #flat, 2 do
              local s = tonumber(flat[i])
              if s < oldest then
                redis.call('HDEL', KEYS[1], flat[i])
              elseif s >= since then
                sum = sum + tonumber(flat[i + 1])
              end
            end
            return sum
            """;

    private static final Script ADMIT_SCRIPT = new Script(ADMIT);
    private static final Script SETTLE_SPEND_SCRIPT = new Script(SETTLE_SPEND);
    private static final Script SPEND_SINCE_SCRIPT = new Script(SPEND_SINCE);
    private static final Script SETTLE_SCRIPT = new Script(SETTLE);
    private static final Script RENEW_SCRIPT = new Script(RENEW);

    private final Vertx vertx;
    private final Redis redis;
    private final long timeoutMs;
    private final FailMode failMode;
    private final LocalRateLimiter fallback;
    private final String instance;
    private final AtomicLong leaseCounter = new AtomicLong();
    /** Leases this instance holds in Redis: lease id → its in-flight set. */
    private final ConcurrentHashMap<String, String> held = new ConcurrentHashMap<>();
    private final long leaseTtlMillis;
    private final long renewTimer;
    private volatile long pausedUntil;
    /** Decisions taken by the fail mode because Redis could not be reached (for the metrics). */
    private final AtomicLong failModeDecisions = new AtomicLong();
    /** Whether the last call failed: the outage is logged when it starts and when it ends, not per request. */
    private volatile boolean down;

    /**
     * @param redis     a Redis client (pooled); closed by {@link #close()}
     * @param timeoutMs the longest any Redis call may take before the fail mode applies
     * @param failMode  what requests get while Redis cannot be reached
     * @param fallback  the in-memory limits {@link FailMode#FAIL_OPEN} falls back to
     */
    public SharedRateLimiter(Vertx vertx, Redis redis, long timeoutMs, FailMode failMode, LocalRateLimiter fallback) {
        this(vertx, redis, timeoutMs, failMode, fallback, LEASE_TTL_MILLIS, LEASE_RENEW_MILLIS);
    }

    /**
     * As above with other lease timings, so that tests can watch leases be renewed and expire in seconds.
     *
     * @param leaseTtlMillis how long a lease lives without renewal
     * @param renewMillis    how often this instance renews its leases; well below {@code leaseTtlMillis}
     */
    public SharedRateLimiter(Vertx vertx, Redis redis, long timeoutMs, FailMode failMode, LocalRateLimiter fallback,
                             long leaseTtlMillis, long renewMillis) {
        if (renewMillis <= 0 || renewMillis * 2 > leaseTtlMillis) {
            throw new IllegalArgumentException("leases must be renewed at least twice within their lifetime");
        }
        this.leaseTtlMillis = leaseTtlMillis;
        this.vertx = vertx;
        this.redis = redis;
        this.timeoutMs = timeoutMs;
        this.failMode = failMode;
        this.fallback = fallback;
        byte[] id = new byte[8];
        new SecureRandom().nextBytes(id);
        this.instance = HexFormat.of().formatHex(id);
        this.renewTimer = vertx.setPeriodic(renewMillis, t -> renew());
    }

    @Override
    public Future<Admission> admit(String keyId, KeyPolicy policy, boolean live) {
        if (paused()) {
            return Future.succeededFuture(failed(keyId, policy, live));
        }
        String tag = tag(keyId);
        boolean wantsSlot = live && policy.maxConcurrent() != null;
        String lease = wantsSlot ? instance + ":" + leaseCounter.incrementAndGet() : "";
        Context caller = Vertx.currentContext();
        Promise<Admission> decided = Promise.promise();
        ADMIT_SCRIPT.run(redis, List.of(tag + ":requests", tag + ":tokens", tag + ":inflight"),
                        List.of(limit(policy.rpm()), limit(policy.tpm()), limit(policy.maxConcurrent()), lease,
                                Long.toString(leaseTtlMillis)))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .onComplete(result -> {
                    Admission admission = null;
                    Throwable failure = result.cause();
                    if (result.succeeded()) {
                        try {
                            admission = decision(result.result(), policy, lease, tag + ":inflight");
                            reachable();
                        } catch (RuntimeException e) {
                            failure = e; // not the reply the script gives (another server at this address?)
                        }
                    }
                    if (admission == null) {
                        unreachable(failure);
                        if (!lease.isEmpty()) {
                            // The script may have run although its answer was lost: give the slot back, best effort.
                            releaseInRedis(tag + ":inflight", lease);
                        }
                        admission = failed(keyId, policy, live);
                    }
                    Admission decision = admission;
                    onContext(caller, () -> decided.complete(decision));
                });
        return decided.future();
    }

    @Override
    public void settle(String keyId, KeyPolicy policy, long tokens) {
        if (failMode == FailMode.FAIL_OPEN) {
            fallback.settle(keyId, policy, tokens);
        }
        if (paused()) {
            return;
        }
        SETTLE_SCRIPT.run(redis, List.of(tag(keyId) + ":tokens"), List.of(Long.toString(tokens)))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .onFailure(this::unreachable);
    }

    @Override
    public void settleSpend(String keyId, long costMicros) {
        // Counted here too, for fail_open and for the seconds after an outage.
        fallback.settleSpend(keyId, costMicros);
        if (paused()) {
            return;
        }
        SETTLE_SPEND_SCRIPT.run(redis, List.of(tag(keyId) + ":spend"),
                        List.of(Long.toString(costMicros), Long.toString(SPEND_HORIZON_MILLIS)))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .onFailure(this::unreachable);
    }

    /**
     * The spend every instance settled since {@code sinceMillis}. Slots are seconds of Redis's clock and
     * {@code sinceMillis} is this instance's: counting from the second before makes clock skew of up to a second count
     * a settlement twice (refusing a little early) rather than miss it.
     */
    @Override
    public Future<Long> spendSince(String keyId, long sinceMillis) {
        if (paused()) {
            return spendUnreachable(keyId, sinceMillis);
        }
        Context caller = Vertx.currentContext();
        Promise<Long> counted = Promise.promise();
        SPEND_SINCE_SCRIPT.run(redis, List.of(tag(keyId) + ":spend"),
                        List.of(Long.toString(Math.floorDiv(sinceMillis, 1000) - 1),
                                Long.toString(SPEND_HORIZON_MILLIS / 1000)))
                .timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .onComplete(result -> {
                    Future<Long> outcome;
                    Long sum = null;
                    if (result.succeeded()) {
                        try {
                            sum = result.result().toLong();
                        } catch (RuntimeException e) {
                            sum = null;
                        }
                    }
                    if (sum != null) {
                        reachable();
                        outcome = Future.succeededFuture(sum);
                    } else {
                        unreachable(result.cause());
                        outcome = spendUnreachable(keyId, sinceMillis);
                    }
                    onContext(caller, () -> counted.handle(outcome));
                });
        return counted.future();
    }

    private Future<Long> spendUnreachable(String keyId, long sinceMillis) {
        failModeDecisions.incrementAndGet();
        return failMode == FailMode.FAIL_OPEN ? Future.succeededFuture(fallback.localSpendSince(keyId, sinceMillis))
                : Future.failedFuture(new Unavailable());
    }

    @Override
    public void close() {
        vertx.cancelTimer(renewTimer);
        redis.close();
    }

    /** Checks that Redis answers within the timeout; for readiness. */
    public Future<Void> ping() {
        return redis.send(Request.cmd(Command.PING)).timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .onSuccess(r -> {
                    reachable();
                    pausedUntil = 0;
                })
                .mapEmpty();
    }

    private Admission decision(Response reply, KeyPolicy policy, String lease, String inflightKey) {
        long outcome = reply.get(0).toLong();
        long requestsUsed = reply.get(1).toLong();
        long requestsReset = reply.get(2).toLong();
        long tokensUsed = reply.get(3).toLong();
        long tokensReset = reply.get(4).toLong();
        long retry = reply.get(5).toLong();
        Map<String, String> headers = new LinkedHashMap<>();
        if (policy.rpm() != null) {
            headers.put("x-ratelimit-limit-requests", Integer.toString(policy.rpm()));
            headers.put("x-ratelimit-remaining-requests", Long.toString(Math.max(0, policy.rpm() - requestsUsed)));
            headers.put("x-ratelimit-reset-requests", LimitReplies.duration(requestsReset));
        }
        if (policy.tpm() != null) {
            headers.put("x-ratelimit-limit-tokens", Integer.toString(policy.tpm()));
            headers.put("x-ratelimit-remaining-tokens", Long.toString(Math.max(0, policy.tpm() - tokensUsed)));
            headers.put("x-ratelimit-reset-tokens", LimitReplies.duration(tokensReset));
        }
        if (outcome != 0) {
            LimitReplies.retryAfter(headers, retry);
            return new Admission(outcome == 1 ? LimitReplies.requests(policy, retry)
                    : outcome == 2 ? LimitReplies.tokens(policy, retry) : LimitReplies.concurrency(policy), headers);
        }
        if (lease.isEmpty()) {
            return new Admission(null, headers);
        }
        held.put(lease, inflightKey);
        return new Admission(null, headers, new RedisLease(inflightKey, lease));
    }

    /** How many admissions the fail mode decided because Redis could not be reached, since start. */
    public long failModeDecisions() {
        return failModeDecisions.get();
    }

    /** What a request gets while Redis cannot be reached. */
    private Admission failed(String keyId, KeyPolicy policy, boolean live) {
        failModeDecisions.incrementAndGet();
        if (failMode == FailMode.FAIL_OPEN) {
            return fallback.decide(keyId, policy, live);
        }
        return Unavailable.ADMISSION;
    }

    private boolean paused() {
        return System.currentTimeMillis() < pausedUntil;
    }

    private void unreachable(Throwable cause) {
        pausedUntil = System.currentTimeMillis() + RETRY_PAUSE_MILLIS;
        if (!down) {
            down = true;
            // The class only: keep logs to what they need.
            LOG.warn("shared rate limiter: Redis did not answer ({}); keys with limits are {} until it does",
                    cause == null ? "no reply" : cause.getClass().getSimpleName(), failMode == FailMode.FAIL_CLOSED
                            ? "refused with 503 (redis.fail_mode: fail_closed)"
                            : "counted by each instance alone (redis.fail_mode: fail_open)");
        }
    }

    private void reachable() {
        if (down) {
            down = false;
            LOG.info("shared rate limiter: Redis answers again");
        }
    }

    private void releaseInRedis(String inflightKey, String lease) {
        held.remove(lease);
        redis.send(Request.cmd(Command.ZREM).arg(inflightKey).arg(lease)).timeout(timeoutMs, TimeUnit.MILLISECONDS)
                .onFailure(t -> {
                    // The lease expires on its own within the lease lifetime.
                });
    }

    /** Pushes the expiry of every lease this instance holds, one script per key. */
    private void renew() {
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        held.forEach((lease, key) -> byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(lease));
        byKey.forEach((key, leases) -> {
            List<String> args = new ArrayList<>(leases.size() + 1);
            args.add(Long.toString(leaseTtlMillis));
            args.addAll(leases);
            RENEW_SCRIPT.run(redis, List.of(key), args).timeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .onFailure(this::unreachable);
        });
    }

    private static void onContext(Context context, Runnable action) {
        if (context == null || Vertx.currentContext() == context) {
            action.run();
        } else {
            context.runOnContext(v -> action.run());
        }
    }

    private static String limit(Integer value) {
        return value == null ? "0" : value.toString();
    }

    /** The Redis key prefix of an API key: a hash of its id, never anything from the request. */
    static String tag(String keyId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(keyId.getBytes(StandardCharsets.UTF_8));
            return "veil:limits:{" + HexFormat.of().formatHex(digest, 0, 16) + "}";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** A slot in a key's in-flight set; released once. */
    private final class RedisLease implements Lease {
        private final String inflightKey;
        private final String lease;
        private final AtomicBoolean released = new AtomicBoolean();

        RedisLease(String inflightKey, String lease) {
            this.inflightKey = inflightKey;
            this.lease = lease;
        }

        @Override
        public void release() {
            if (released.compareAndSet(false, true)) {
                releaseInRedis(inflightKey, lease);
            }
        }
    }

    /** A Lua script run by its SHA-1 ({@code EVALSHA}), loaded with {@code EVAL} when Redis does not know it yet. */
    private record Script(String source, String sha) {

        Script(String source) {
            this(source, sha1(source));
        }

        Future<Response> run(Redis redis, List<String> keys, List<String> args) {
            return redis.send(command(Command.EVALSHA, sha, keys, args)).recover(failure -> {
                String message = failure.getMessage();
                if (message != null && message.startsWith("NOSCRIPT")) {
                    return redis.send(command(Command.EVAL, source, keys, args));
                }
                return Future.failedFuture(failure);
            });
        }

        private static Request command(Command command, String script, List<String> keys, List<String> args) {
            Request request = Request.cmd(command).arg(script).arg(keys.size());
            keys.forEach(request::arg);
            args.forEach(request::arg);
            return request;
        }

        private static String sha1(String source) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                        .digest(source.getBytes(StandardCharsets.UTF_8)));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-1 is missing from this JVM", e);
            }
        }
    }
}
