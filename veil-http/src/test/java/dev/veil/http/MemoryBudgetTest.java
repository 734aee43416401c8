package dev.veil.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {

    @Test
    void reservationsFitTheLimitExactlyAndReleasesMakeRoomAgain() {
        MemoryBudget budget = MemoryBudget.of(100);
        assertThat(budget.tryReserve(60)).isTrue();
        assertThat(budget.tryReserve(41)).isFalse();
        assertThat(budget.reserved()).isEqualTo(60);
        assertThat(budget.tryReserve(40)).isTrue();
        assertThat(budget.tryReserve(1)).isFalse();
        budget.release(60);
        assertThat(budget.tryReserve(60)).isTrue();
        assertThat(budget.exhausted().getMessage()).contains("100 bytes");
    }

    @Test
    void concurrentReservationsNeverExceedTheLimit() throws Exception {
        MemoryBudget budget = MemoryBudget.of(1_000);
        AtomicLong granted = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            pool.submit(() -> {
                for (int i = 0; i < 10_000; i++) {
                    if (budget.tryReserve(7)) {
                        granted.addAndGet(7);
                    }
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        assertThat(granted.get()).isEqualTo(budget.reserved()).isLessThanOrEqualTo(1_000).isGreaterThan(1_000 - 7);
    }

    @Test
    void theHeapShareIsAShareOfTheMaximumHeap() {
        assertThat(MemoryBudget.ofHeap(0.5).limit()).isEqualTo((long) (Runtime.getRuntime().maxMemory() * 0.5));
        assertThatThrownBy(() -> MemoryBudget.of(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MemoryBudget.of(10).tryReserve(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
