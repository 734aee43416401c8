package dev.veil.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CircuitBreakerTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final CircuitBreaker breaker = new CircuitBreaker(3, 500, now::get);

    @Test
    void opensAfterConsecutiveFailuresAndProbesBackWithOneRequest() {
        for (int i = 0; i < 2; i++) {
            assertThat(breaker.tryAcquire()).isTrue();
            breaker.failure();
        }
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.failure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breaker.available()).isFalse();
        assertThat(breaker.tryAcquire()).isFalse();

        now.addAndGet(500);
        assertThat(breaker.available()).isTrue();
        assertThat(breaker.tryAcquire()).as("the probe").isTrue();
        assertThat(breaker.tryAcquire()).as("only one probe at a time").isFalse();
        breaker.failure();
        assertThat(breaker.state()).as("a failed probe opens it again").isEqualTo(CircuitBreaker.State.OPEN);

        now.addAndGet(500);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.success();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void aSuccessResetsTheFailureCount() {
        breaker.failure();
        breaker.failure();
        breaker.success();
        breaker.failure();
        breaker.failure();
        assertThat(breaker.state()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void aProbeWhoseClientLeftFreesTheSlot() {
        for (int i = 0; i < 3; i++) {
            breaker.failure();
        }
        now.addAndGet(600);
        assertThat(breaker.tryAcquire()).isTrue();
        breaker.release();
        assertThat(breaker.tryAcquire()).isTrue();
    }
}
