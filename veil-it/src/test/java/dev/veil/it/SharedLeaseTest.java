package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.limits.Admission;
import dev.veil.gateway.limits.LocalRateLimiter;
import dev.veil.gateway.limits.SharedRateLimiter;
import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-flight leases under max_concurrent, with lease timings shortened to seconds: a live instance keeps its slots by
 * renewing them past their lifetime, and the slots of an instance that stopped renewing (it died) come back once their
 * lifetime has passed.
 */
@Timeout(60)
class SharedLeaseTest {

    private static final long TTL_MILLIS = 1_500;
    private static final long RENEW_MILLIS = 400;
    private static final KeyPolicy ONE_AT_A_TIME = KeyPolicyJson.read("{\"max_concurrent\":1}");

    @TempDir
    Path work;

    private RedisServer redis;
    private Vertx vertx;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.start(work.resolve("redis"));
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        redis.close();
    }

    private SharedRateLimiter instance() {
        return new SharedRateLimiter(vertx, Redis.createClient(vertx, new RedisOptions().setConnectionString(redis.url())),
                1_000, SharedRateLimiter.FailMode.FAIL_CLOSED, new LocalRateLimiter(Clock.systemUTC()), TTL_MILLIS,
                RENEW_MILLIS);
    }

    private static Admission admit(SharedRateLimiter limiter) throws Exception {
        return limiter.admit("key_lease", ONE_AT_A_TIME, true).await(10, TimeUnit.SECONDS);
    }

    @Test
    void aLiveInstanceKeepsItsSlotPastTheLeaseLifetimeAndReleasesIt() throws Exception {
        SharedRateLimiter first = instance();
        SharedRateLimiter second = instance();
        Admission held = admit(first);
        assertThat(held.admitted()).isTrue();
        Thread.sleep(3 * TTL_MILLIS);
        Admission refused = admit(second);
        assertThat(refused.admitted()).as("the slot was renewed, not expired").isFalse();
        assertThat(refused.refusal().code()).isEqualTo("concurrency_limit_exceeded");

        held.lease().release();
        Eventually.await(Duration.ofSeconds(5), "the released slot is free", () -> {
            Admission again = admit(second);
            if (again.admitted()) {
                again.lease().release();
            }
            return again.admitted();
        });
        first.close();
        second.close();
    }

    @Test
    void theSlotOfAnInstanceThatStoppedComesBackAfterTheLeaseLifetime() throws Exception {
        SharedRateLimiter dying = instance();
        assertThat(admit(dying).admitted()).isTrue();
        dying.close(); // no more renewals and no release, as when its process is killed
        SharedRateLimiter survivor = instance();
        assertThat(admit(survivor).admitted()).as("still held right after").isFalse();
        long stoppedAt = System.nanoTime();
        Eventually.await(Duration.ofSeconds(10), "the dead instance's slot expired", () -> admit(survivor).admitted());
        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(Duration.ofMillis(TTL_MILLIS + 3_000));
        survivor.close();
    }
}
