package dev.veil.store;

import static dev.veil.store.BatchStoreContract.T;
import static dev.veil.store.BatchStoreContract.batch;
import static dev.veil.store.BatchStoreContract.input;
import static dev.veil.store.BatchStoreContract.key;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Batch leases, fenced writes and exclusive jobs (batches across instances), run on every vendor through
 * {@link StoreContract}: claim, renew, release, take-over of a lapsed lease, and that an instance which lost its lease
 * can neither commit progress nor add a chunk of output.
 */
@Timeout(60)
interface BatchLeaseContract {

    Store store();

    /** The settings of the store's database, to open a second "instance" on it. */
    StoreSettings settings();

    long LEASE = 10_000;

    private void batches(int count) {
        for (int i = 1; i <= count; i++) {
            store().batchFiles().insert(input("file-" + i, "key_a", T), key("file-" + i));
            store().batchFiles().markProcessed("file-" + i, 1, null);
            assertThat(store().batches().create(batch("batch_" + i, "key_a", "file-" + i, T + i))).isTrue();
        }
    }

    @Test
    default void unheldBatchesAreClaimedOldestFirstAndALiveLeaseIsNotTaken() {
        batches(3);
        BatchLeaseRepository leases = store().batchLeases();
        assertThat(leases.claimFree("a", T, LEASE, 2)).containsExactly("batch_1", "batch_2");
        assertThat(leases.claimFree("b", T + 1, LEASE, 5)).as("only the unheld one").containsExactly("batch_3");
        assertThat(leases.claimFree("b", T + 2, LEASE, 5)).isEmpty();
        assertThat(leases.claim("batch_1", "b", T + 3, LEASE)).as("a's lease is live").isFalse();
        assertThat(leases.claim("batch_1", "a", T + 3, LEASE)).as("the holder may extend").isTrue();
        assertThat(leases.find("batch_1")).contains(new BatchLeaseRepository.Lease("a", T + 3 + LEASE, 1));

        assertThat(leases.renew("batch_2", "a", T + 5, LEASE)).contains(BatchRecord.VALIDATING);
        assertThat(leases.renew("batch_2", "b", T + 5, LEASE)).as("not b's").isEmpty();
        assertThat(leases.find("batch_2").orElseThrow().until()).isEqualTo(T + 5 + LEASE);
        // A lease that lapsed but that nobody took over is still the holder's: it may renew it.
        assertThat(leases.renew("batch_2", "a", T + 5 + 2 * LEASE, LEASE)).isPresent();

        leases.release("batch_3", "a");
        assertThat(leases.find("batch_3").orElseThrow().owner()).as("only the holder releases").isEqualTo("b");
        leases.release("batch_3", "b");
        assertThat(leases.find("batch_3").orElseThrow().owner()).isNull();
        assertThat(leases.claimFree("a", T + 6, LEASE, 5)).as("released: free at once").containsExactly("batch_3");
        assertThat(leases.find("batch_3").orElseThrow().epoch()).isEqualTo(2);
    }

    @Test
    default void aLapsedLeaseIsTakenOverAndTheOldHolderCanNoLongerWrite() {
        batches(1);
        BatchLeaseRepository leases = store().batchLeases();
        BatchFileChunkRepository chunks = store().batchFileChunks();
        store().batches().attachOutputs("batch_1", new BatchFileRecord("file-o", "key_a", BatchFileRecord.PURPOSE_OUTPUT,
                BatchFileRecord.PENDING, null, 0, 0, false, "batch_1", T, null), key("file-o"),
                new BatchFileRecord("file-e", "key_a", BatchFileRecord.PURPOSE_OUTPUT, BatchFileRecord.PENDING, null, 0, 0,
                        false, "batch_1", T, null), key("file-e"));
        assertThat(leases.claimFree("a", T, LEASE, 1)).containsExactly("batch_1");
        BatchFileChunkRepository.Fence a = new BatchFileChunkRepository.Fence("batch_1", "a");
        BatchFileChunkRepository.Fence b = new BatchFileChunkRepository.Fence("batch_1", "b");
        assertThat(chunks.insert("file-o", 0, 0, new byte[] {1, 2, 3}, a)).isTrue();
        assertThat(store().batches().commitProgress("a", "batch_1", 10, 10, 0, "file-o", 1, 3, "file-e", 0, 0,
                List.of(TestData.request("req_a", "key_a", java.time.Instant.ofEpochMilli(T))))).isTrue();
        assertThat(chunks.insert("file-o", 1, 0, new byte[] {4}, a)).as("a part after the commit").isTrue();

        assertThat(leases.claimFree("b", T + LEASE - 1, LEASE, 1)).as("not lapsed yet").isEmpty();
        assertThat(leases.claimFree("b", T + LEASE + 1, LEASE, 1)).as("lapsed: taken over").containsExactly("batch_1");
        assertThat(leases.find("batch_1").orElseThrow().epoch()).isEqualTo(2);
        assertThat(leases.renew("batch_1", "a", T + LEASE + 2, LEASE)).as("a learns it lost the batch").isEmpty();

        // The old holder is fenced out: no progress, no metering, no chunk.
        assertThat(store().batches().commitProgress("a", "batch_1", 20, 20, 0, "file-o", 2, 4, "file-e", 0, 0,
                List.of(TestData.request("req_late", "key_a", java.time.Instant.ofEpochMilli(T))))).isFalse();
        assertThat(chunks.insert("file-o", 1, 1, new byte[] {5}, a)).isFalse();
        BatchRecord batch = store().batches().find("batch_1").orElseThrow();
        assertThat(List.of(batch.nextLine(), batch.completed())).containsExactly(10L, 10L);
        assertThat(store().requests().count()).isEqualTo(1);
        assertThat(store().batchFiles().find("file-o").orElseThrow().parts()).isEqualTo(1);

        // The new holder drops the uncommitted part and writes its own under its fence.
        assertThat(chunks.deletePartsFrom("file-o", 1)).isEqualTo(1);
        assertThat(chunks.read("file-o", 1, 0)).isEmpty();
        assertThat(chunks.insert("file-o", 1, 0, new byte[] {6}, b)).isTrue();
        assertThat(store().batches().commitProgress("b", "batch_1", 20, 20, 0, "file-o", 2, 4, "file-e", 0, 0, List.of()))
                .isTrue();
        assertThat(chunks.read("file-o", 0, 0)).hasValueSatisfying(d -> assertThat(d).containsExactly(1, 2, 3));
        assertThat(chunks.read("file-o", 1, 0)).hasValueSatisfying(d -> assertThat(d).containsExactly(6));
        assertThat(chunks.fileIds()).containsExactly("file-o");
        assertThat(chunks.deletePartsFrom("file-o", 0)).isEqualTo(2);
        assertThat(chunks.fileIds()).isEmpty();
    }

    @Test
    default void endedBatchesAreNeverClaimedAndReleaseAllFreesEveryLease() {
        batches(2);
        BatchLeaseRepository leases = store().batchLeases();
        assertThat(store().batches().fail("batch_1", "input_unreadable", T)).isTrue();
        assertThat(leases.claim("batch_1", "a", T, LEASE)).isFalse();
        assertThat(leases.claimFree("a", T, LEASE, 5)).containsExactly("batch_2");
        assertThat(leases.releaseAll()).isEqualTo(1);
        assertThat(leases.find("batch_2").orElseThrow().owner()).isNull();
        assertThat(leases.claim("batch_2", "b", T + 1, LEASE)).isTrue();
    }

    @Test
    default void twoInstancesPollingAtOnceSplitTheBatchesWithoutOverlap() throws Exception {
        int count = 30;
        batches(count);
        try (Store other = Store.open(settings())) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<String>>> runs = new ArrayList<>();
                for (Store instance : List.of(store(), other)) {
                    String owner = instance == store() ? "a" : "b";
                    runs.add(pool.submit(() -> {
                        go.await();
                        List<String> mine = new ArrayList<>();
                        for (int i = 0; i < count; i++) {
                            mine.addAll(instance.batchLeases().claimFree(owner, T, LEASE, 2));
                        }
                        return mine;
                    }));
                }
                go.countDown();
                List<String> a = runs.get(0).get(30, TimeUnit.SECONDS);
                List<String> b = runs.get(1).get(30, TimeUnit.SECONDS);
                Set<String> all = new HashSet<>(a);
                all.addAll(b);
                assertThat(a.size() + b.size()).as("no batch claimed twice").isEqualTo(count);
                assertThat(all).hasSize(count);
                for (String id : a) {
                    assertThat(store().batchLeases().find(id).orElseThrow().owner()).isEqualTo("a");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    default void anExclusiveJobRunsOnOneInstanceAtATime() throws Exception {
        assertThat(store().exclusiveJobs().runAlone("job", () -> 7)).contains(7);
        try (Store other = Store.open(settings())) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch leave = new CountDownLatch(1);
            ExecutorService pool = Executors.newSingleThreadExecutor();
            try {
                Future<Optional<Integer>> first = pool.submit(() -> store().exclusiveJobs().runAlone("job", () -> {
                    inside.countDown();
                    try {
                        leave.await(20, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return 1;
                }));
                assertThat(inside.await(20, TimeUnit.SECONDS)).isTrue();
                Optional<Integer> second = other.exclusiveJobs().runAlone("job", () -> 2);
                assertThat(other.exclusiveJobs().runAlone("another-job", () -> 3)).contains(3);
                leave.countDown();
                assertThat(first.get(20, TimeUnit.SECONDS)).contains(1);
                if (store().singleNode()) {
                    assertThat(second).as("SQLite serves one process: jobs simply run").contains(2);
                } else {
                    assertThat(second).as("the lock is held by the first instance").isEmpty();
                    assertThat(other.exclusiveJobs().runAlone("job", () -> 4)).as("free again").contains(4);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
