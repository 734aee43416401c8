package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The files and batches repositories, run on every vendor through {@link StoreContract}. */
interface BatchStoreContract {

    Store store();

    long T = 1_750_000_000_000L;

    static BatchFileRecord input(String id, String keyId, long createdAt) {
        return new BatchFileRecord(id, keyId, BatchFileRecord.PURPOSE_INPUT, BatchFileRecord.UPLOADING, "sealed-name", 0, 0,
                false, null, createdAt, createdAt + 86_400_000L);
    }

    static FileKeyRecord key(String fileId) {
        return new FileKeyRecord(fileId, "fk_" + fileId, "wrapped-" + fileId, T);
    }

    static BatchRecord batch(String id, String keyId, String inputFileId, long createdAt) {
        return new BatchRecord(id, keyId, "/v1/chat/completions", "24h", inputFileId, null, null, BatchRecord.VALIDATING,
                "sealed-metadata", null, 86_400_000L, 0, 0, 0, 0, null, createdAt, null, null, null, null, null, null, null,
                createdAt + 86_400_000L);
    }

    @Test
    default void aChunksMeteringCommitsWithItsProgressOrNotAtAll() {
        store().batchFiles().insert(input("file-in", "key_a", T), key("file-in"));
        store().batchFiles().markProcessed("file-in", 10, null);
        BatchRepository batches = store().batches();
        assertThat(batches.create(batch("batch_m", "key_a", "file-in", T))).isTrue();
        batches.attachOutputs("batch_m", new BatchFileRecord("file-o", "key_a", BatchFileRecord.PURPOSE_OUTPUT,
                BatchFileRecord.PENDING, null, 0, 0, false, "batch_m", T, null), key("file-o"),
                new BatchFileRecord("file-e", "key_a", BatchFileRecord.PURPOSE_OUTPUT, BatchFileRecord.PENDING, null, 0, 0,
                        false, "batch_m", T, null), key("file-e"));
        java.time.Instant at = java.time.Instant.ofEpochMilli(T);
        java.time.LocalDate day = java.time.LocalDate.ofInstant(at, java.time.ZoneOffset.UTC);
        batches.commitProgress("batch_m", 2, 2, 0, "file-o", 1, 100, "file-e", 0, 0,
                List.of(TestData.request("req_1", "key_a", at), TestData.request("req_2", "key_a", at)));
        assertThat(store().requests().recentForKey("key_a", 10)).extracting(RequestRecord::requestId)
                .containsExactlyInAnyOrder("req_1", "req_2");
        assertThat(store().ledger().forKey("key_a", day, day)).singleElement()
                .satisfies(e -> assertThat(List.of(e.requests(), e.promptTokens(), e.costMicros())).containsExactly(2L, 20L, 600L));

        // A commit that fails (here: a request id written before) keeps nothing: no progress, no row, no ledger change.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> batches.commitProgress("batch_m", 4, 4, 0, "file-o", 2,
                200, "file-e", 0, 0, List.of(TestData.request("req_3", "key_a", at), TestData.request("req_1", "key_a", at))))
                .isInstanceOf(StoreException.class);
        assertThat(batches.find("batch_m").orElseThrow().nextLine()).isEqualTo(2);
        assertThat(store().batchFiles().find("file-o").orElseThrow().parts()).isEqualTo(1);
        assertThat(store().requests().count()).isEqualTo(2);
        assertThat(store().ledger().forKey("key_a", day, day)).singleElement()
                .satisfies(e -> assertThat(e.requests()).isEqualTo(2L));
    }

    @Test
    default void filesAreStoredWithTheirKeysAndBecomeReadableWhenUploaded() {
        BatchFileRepository files = store().batchFiles();
        files.insert(input("file-1", "key_a", T), key("file-1"));
        assertThat(files.listForKey("key_a", null, null, 10, false)).as("still uploading").isEmpty();
        assertThat(files.markProcessed("file-1", 1234, T + 5)).isTrue();
        assertThat(files.markProcessed("file-1", 1234, T + 5)).as("only once").isFalse();
        BatchFileRecord file = files.find("file-1").orElseThrow();
        assertThat(file.status()).isEqualTo(BatchFileRecord.PROCESSED);
        assertThat(file.bytes()).isEqualTo(1234);
        assertThat(file.parts()).isEqualTo(1);
        assertThat(file.expiresAt()).isEqualTo(T + 5);
        assertThat(files.findKey("file-1")).contains(key("file-1"));
        assertThat(files.listForKey("key_b", null, null, 10, false)).as("other keys see nothing").isEmpty();
    }

    @Test
    default void listingPagesNewestFirstOrOldestFirst() {
        BatchFileRepository files = store().batchFiles();
        for (int i = 1; i <= 5; i++) {
            files.insert(input("file-" + i, "key_a", T + i), key("file-" + i));
            files.markProcessed("file-" + i, i, null);
        }
        assertThat(files.listForKey("key_a", null, null, 2, false)).extracting(BatchFileRecord::id)
                .containsExactly("file-5", "file-4");
        assertThat(files.listForKey("key_a", null, "file-4", 2, false)).extracting(BatchFileRecord::id)
                .containsExactly("file-3", "file-2");
        assertThat(files.listForKey("key_a", "batch", "file-2", 10, true)).extracting(BatchFileRecord::id)
                .containsExactly("file-3", "file-4", "file-5");
        assertThat(files.listForKey("key_a", "batch_output", null, 10, true)).isEmpty();
    }

    @Test
    default void shreddingDeletesTheKeyFirstAndOnlyOnce() {
        BatchFileRepository files = store().batchFiles();
        files.insert(input("file-1", "key_a", T), key("file-1"));
        assertThat(files.deleteKey("file-1", 5_000L)).contains(key("file-1"));
        assertThat(files.findKey("file-1")).isEmpty();
        assertThat(files.deleteKey("file-1", 5_000L)).isEmpty();
        assertThat(files.find("file-1")).as("the row goes in a second step").isPresent();
        files.delete("file-1");
        assertThat(files.find("file-1")).isEmpty();
        assertThat(files.allIds()).isEmpty();
        // The shredding is remembered (for its receipt) until purged, once.
        assertThat(files.findShred("file-1")).contains(new FileShredRecord("file-1", "key_a", key("file-1").keyRef(), 5_000L));
        assertThat(files.purgeShredsBefore(5_000L)).isZero();
        assertThat(files.purgeShredsBefore(5_001L)).isEqualTo(1);
        assertThat(files.findShred("file-1")).isEmpty();
    }

    @Test
    default void aBatchClaimsItsInputOnce() {
        BatchFileRepository files = store().batchFiles();
        BatchRepository batches = store().batches();
        files.insert(input("file-1", "key_a", T), key("file-1"));
        assertThat(batches.create(batch("batch_1", "key_a", "file-1", T))).as("input not uploaded yet").isFalse();
        files.markProcessed("file-1", 10, T + 100);
        assertThat(batches.create(batch("batch_x", "key_b", "file-1", T))).as("another key's file").isFalse();
        assertThat(batches.create(batch("batch_1", "key_a", "file-1", T))).isTrue();
        assertThat(batches.create(batch("batch_2", "key_a", "file-1", T))).as("already used").isFalse();
        assertThat(batches.find("batch_2")).isEmpty();
        BatchFileRecord claimed = files.find("file-1").orElseThrow();
        assertThat(claimed.batchId()).isEqualTo("batch_1");
        assertThat(claimed.expiresAt()).as("kept while the batch runs").isNull();
        assertThat(batches.find("batch_1").orElseThrow()).isEqualTo(batch("batch_1", "key_a", "file-1", T));
    }

    @Test
    default void transitionsAreConditionalAndProgressCommitsAtomically() {
        BatchFileRepository files = store().batchFiles();
        BatchRepository batches = store().batches();
        files.insert(input("file-1", "key_a", T), key("file-1"));
        files.markProcessed("file-1", 10, null);
        batches.create(batch("batch_1", "key_a", "file-1", T));
        assertThat(batches.unfinished()).extracting(BatchRecord::id).containsExactly("batch_1");

        assertThat(batches.transition("batch_1", Set.of(BatchRecord.VALIDATING), BatchRecord.IN_PROGRESS, "in_progress_at", T + 1)).isTrue();
        assertThat(batches.transition("batch_1", Set.of(BatchRecord.VALIDATING), BatchRecord.IN_PROGRESS, "in_progress_at", T + 2)).isFalse();
        batches.setTotal("batch_1", 100);
        BatchFileRecord out = new BatchFileRecord("file-out", "key_a", BatchFileRecord.PURPOSE_OUTPUT, BatchFileRecord.PENDING,
                null, 0, 0, true, "batch_1", T, null);
        BatchFileRecord err = new BatchFileRecord("file-err", "key_a", BatchFileRecord.PURPOSE_OUTPUT, BatchFileRecord.PENDING,
                null, 0, 0, true, "batch_1", T, null);
        batches.attachOutputs("batch_1", out, key("file-out"), err, key("file-err"));
        batches.commitProgress("batch_1", 64, 60, 4, "file-out", 1, 6000, "file-err", 1, 400, List.of());

        BatchRecord b = batches.find("batch_1").orElseThrow();
        assertThat(b.status()).isEqualTo(BatchRecord.IN_PROGRESS);
        assertThat(b.inProgressAt()).isEqualTo(T + 1);
        assertThat(List.of(b.total(), b.nextLine(), b.completed(), b.failed())).containsExactly(100L, 64L, 60L, 4L);
        assertThat(b.outputFileId()).isEqualTo("file-out");
        assertThat(files.find("file-out").orElseThrow().parts()).isEqualTo(1);
        assertThat(files.find("file-err").orElseThrow().bytes()).isEqualTo(400);
        assertThat(files.listForKey("key_a", BatchFileRecord.PURPOSE_OUTPUT, null, 10, false)).as("pending").isEmpty();
        files.publish("file-out", T + 10);
        assertThat(files.listForKey("key_a", BatchFileRecord.PURPOSE_OUTPUT, null, 10, false)).extracting(BatchFileRecord::id)
                .containsExactly("file-out");
        batches.clearFile("batch_1", "error_file_id");
        assertThat(batches.find("batch_1").orElseThrow().errorFileId()).isNull();

        assertThat(files.inputsOfEndedBatches(10)).isEmpty();
        assertThat(batches.fail("batch_1", "input_unreadable", T + 3)).isTrue();
        assertThat(batches.fail("batch_1", "input_unreadable", T + 4)).as("already ended").isFalse();
        BatchRecord failed = batches.find("batch_1").orElseThrow();
        assertThat(failed.terminal()).isTrue();
        assertThat(failed.endedAt()).isEqualTo(T + 3);
        assertThat(failed.errorCode()).isEqualTo("input_unreadable");
        assertThat(batches.unfinished()).isEmpty();
        assertThat(files.inputsOfEndedBatches(10)).extracting(BatchFileRecord::id).containsExactly("file-1");
        assertThat(batches.endedBefore(T + 3, 10)).isEmpty();
        assertThat(batches.endedBefore(T + 4, 10)).extracting(BatchRecord::id).containsExactly("batch_1");
        assertThat(files.expired(T + 10, 10)).extracting(BatchFileRecord::id).containsExactly("file-out");
        batches.delete("batch_1");
        assertThat(batches.find("batch_1")).isEmpty();
    }

    @Test
    default void batchesListNewestFirstPerKey() {
        BatchFileRepository files = store().batchFiles();
        BatchRepository batches = store().batches();
        for (int i = 1; i <= 3; i++) {
            files.insert(input("file-" + i, "key_a", T), key("file-" + i));
            files.markProcessed("file-" + i, 1, null);
            batches.create(batch("batch_" + i, "key_a", "file-" + i, T + i));
        }
        assertThat(batches.listForKey("key_a", null, 2)).extracting(BatchRecord::id).containsExactly("batch_3", "batch_2");
        assertThat(batches.listForKey("key_a", "batch_2", 5)).extracting(BatchRecord::id).containsExactly("batch_1");
        assertThat(batches.listForKey("key_b", null, 5)).isEmpty();
        files.insert(input("file-9", "key_a", 1), key("file-9"));
        assertThat(files.staleUploads(2)).extracting(BatchFileRecord::id).containsExactly("file-9");
    }
}
