package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class KeyRingTest {

    private final AtomicLong now = new AtomicLong(1_000);

    @Test
    void rotationIncrementsTheKeyIdModulo256() {
        KeyRing ring = new KeyRing(254, 10, Duration.ofMinutes(10), now::get);

        assertThat(ring.current().keyId()).isEqualTo(254);
        assertThat(ring.rotate().keyId()).isEqualTo(255);
        assertThat(ring.rotate().keyId()).isZero();
    }

    @Test
    void theRetiredKeyLivesForItsGraceExactly() {
        KeyRing ring = new KeyRing(7, 10, Duration.ofSeconds(10), now::get);
        NodeKey old = ring.current();

        NodeKey fresh = ring.rotate();

        assertThat(ring.find(fresh.nodeKeyId())).isSameAs(fresh);
        assertThat(ring.find(old.nodeKeyId())).isSameAs(old);
        now.addAndGet(Duration.ofSeconds(10).toNanos() - 1);
        assertThat(ring.find(old.nodeKeyId())).isSameAs(old);
        now.addAndGet(1);
        assertThat(ring.find(old.nodeKeyId())).isNull();
        assertThat(ring.size()).isEqualTo(2);
        ring.purgeExpired();
        assertThat(ring.size()).isEqualTo(1);
    }

    @Test
    void zeroGraceDropsTheOldKeyAtOnce() {
        KeyRing ring = new KeyRing(0, 10, Duration.ZERO, now::get);
        NodeKey old = ring.current();

        ring.rotate();

        assertThat(ring.find(old.nodeKeyId())).isNull();
        assertThat(ring.size()).isEqualTo(1);
    }

    @Test
    void rotateIfCurrentRotatesOnceForManyCallers() {
        KeyRing ring = new KeyRing(0, 10, Duration.ofMinutes(1), now::get);
        NodeKey full = ring.current();

        assertThat(ring.rotateIfCurrent(full)).isTrue();
        assertThat(ring.rotateIfCurrent(full)).isFalse();
        assertThat(ring.current().keyId()).isEqualTo(1);
    }

    @Test
    void anUnknownIdFindsNothing() {
        KeyRing ring = new KeyRing(0, 10, Duration.ofMinutes(1), now::get);

        assertThat(ring.find("00".repeat(16))).isNull();
    }
}
