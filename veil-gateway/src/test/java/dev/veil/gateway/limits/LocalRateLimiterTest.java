package dev.veil.gateway.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

/** One instance's limits: in-flight slots under max_concurrent, and rates as before. */
class LocalRateLimiterTest {

    private final LocalRateLimiter limiter = new LocalRateLimiter(Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"),
            ZoneOffset.UTC));

    private Admission admit(KeyPolicy policy, boolean live) {
        return limiter.admit("key_1", policy, live).result();
    }

    @Test
    void inFlightSlotsAreHeldUntilReleasedAndReleasedOnce() {
        KeyPolicy two = KeyPolicyJson.read("{\"max_concurrent\":2}");
        Admission first = admit(two, true);
        Admission second = admit(two, true);
        assertThat(first.admitted()).isTrue();
        assertThat(second.admitted()).isTrue();
        Admission third = admit(two, true);
        assertThat(third.admitted()).isFalse();
        assertThat(third.refusal().code()).isEqualTo("concurrency_limit_exceeded");
        assertThat(third.refusal().httpStatus()).isEqualTo(429);
        assertThat(third.headers()).containsEntry("retry-after", "1");

        first.lease().release();
        first.lease().release(); // a second release must not free a slot it does not hold
        Admission fourth = admit(two, true);
        assertThat(fourth.admitted()).isTrue();
        assertThat(admit(two, true).admitted()).as("two in flight again").isFalse();
    }

    @Test
    void batchLinesHoldNoSlot() {
        KeyPolicy one = KeyPolicyJson.read("{\"max_concurrent\":1}");
        assertThat(admit(one, true).admitted()).isTrue();
        Admission line = admit(one, false);
        assertThat(line.admitted()).isTrue();
        assertThat(line.lease()).isSameAs(Lease.NONE);
    }

    @Test
    void aRequestRefusedByItsRateTakesNoSlot() {
        KeyPolicy policy = KeyPolicyJson.read("{\"rpm\":1,\"max_concurrent\":1}");
        Admission first = admit(policy, true);
        assertThat(first.admitted()).isTrue();
        first.lease().release();
        Admission second = admit(policy, true);
        assertThat(second.refusal().code()).isEqualTo("rate_limit_exceeded");
        assertThat(second.lease()).isSameAs(Lease.NONE);
    }
}
