package dev.veil.gateway.batch;

import dev.veil.gateway.batch.files.FileVault;
import dev.veil.gateway.batch.runner.BatchRunner;
import dev.veil.store.BatchFileRecord;
import dev.veil.store.BatchRecord;
import dev.veil.store.Store;
import java.io.IOException;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps batch data short-lived. Each sweep (on the JDBC pool, every minute and at start): shreds files past their
 * time to live (outputs, errors, unused inputs), shreds the inputs of ended batches (normally done as they end; this
 * catches a crash in between), expires batches past their completion window, deletes batch records
 * {@code output_ttl} after they ended, removes uploads a previous process never finished, forgets shreddings older than
 * 30 days, and deletes anything in the files directory that no file row names (bytes whose key is already gone).
 * Blocking.
 */
public final class BatchSweeper {

    private static final Logger LOG = LoggerFactory.getLogger(BatchSweeper.class);
    private static final int BATCH = 500;
    /** How long the record of a shredding is kept, so that a late delete of the file still gets its receipt. */
    static final long SHRED_RECORD_MILLIS = java.time.Duration.ofDays(30).toMillis();
    /** With several instances: how old an unfinished upload must be to count as abandoned. */
    static final long STALE_UPLOAD_MILLIS = java.time.Duration.ofHours(6).toMillis();

    private final Store store;
    private final FileVault vault;
    private final BatchRunner runner;
    private final Clock clock;
    private final long bootMillis;

    public BatchSweeper(Store store, FileVault vault, BatchRunner runner, Clock clock) {
        this.store = store;
        this.vault = vault;
        this.runner = runner;
        this.clock = clock;
        this.bootMillis = clock.millis();
    }

    /** One sweep; returns how many files it shredded. */
    public int sweep() {
        long now = clock.millis();
        int shredded = 0;
        for (BatchFileRecord file : store.batchFiles().expired(now, BATCH)) {
            vault.shred(file.id(), now);
            shredded++;
        }
        for (BatchFileRecord input : store.batchFiles().inputsOfEndedBatches(BATCH)) {
            vault.shred(input.id(), now);
            shredded++;
        }
        for (BatchFileRecord upload : store.batchFiles().staleUploads(staleUploadCutoff(now))) {
            vault.shred(upload.id(), now);
            shredded++;
        }
        for (BatchRecord batch : store.batches().unfinished()) {
            if (now >= batch.expiresAt()) {
                runner.expire(batch.id());
            }
        }
        for (BatchRecord batch : store.batches().endedBefore(now, BATCH)) {
            if (batch.endedAt() != null && batch.endedAt() + batch.outputTtlMs() <= now) {
                for (String file : new String[] {batch.outputFileId(), batch.errorFileId(), batch.inputFileId()}) {
                    if (file != null && vault.shred(file, now).isPresent()) {
                        shredded++;
                    }
                }
                store.batches().delete(batch.id());
            }
        }
        store.batchFiles().purgeShredsBefore(now - SHRED_RECORD_MILLIS);
        removeStrays();
        if (shredded > 0) {
            LOG.info("batch sweep deleted {} file(s)", shredded);
        }
        return shredded;
    }

    /**
     * Uploads still {@code uploading} from before this are abandoned. On a single-node store that is any upload older
     * than this process (its predecessor died mid-upload); with several instances another instance may be receiving an
     * upload right now, so only uploads older than {@link #STALE_UPLOAD_MILLIS} count as abandoned.
     */
    long staleUploadCutoff(long now) {
        return store.singleNode() ? bootMillis : now - STALE_UPLOAD_MILLIS;
    }

    private void removeStrays() {
        try {
            List<String> onDisk = vault.files().storedIds();
            // With shared storage an upload on another instance writes its row before its chunks, as here.
            if (onDisk.isEmpty()) {
                return;
            }
            // Listed after the directory: a file's row is always written before its bytes, so a new file is never
            // taken for a stray.
            Set<String> known = new HashSet<>(store.batchFiles().allIds());
            for (String name : onDisk) {
                if (!known.contains(name)) {
                    vault.files().deleteStray(name);
                }
            }
        } catch (IOException e) {
            LOG.warn("batch sweep could not list the files directory: {}", e.getClass().getSimpleName());
        }
    }
}
