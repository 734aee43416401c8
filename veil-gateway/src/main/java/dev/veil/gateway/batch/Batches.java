package dev.veil.gateway.batch;

import dev.veil.gateway.batch.files.DeletionReceipts;
import dev.veil.gateway.batch.files.DatabaseFiles;
import dev.veil.gateway.batch.files.EncryptedFiles;
import dev.veil.gateway.batch.files.FileStorage;
import dev.veil.gateway.batch.files.FileVault;
import dev.veil.gateway.batch.files.MasterKey;
import dev.veil.gateway.batch.runner.BatchRunner;
import dev.veil.gateway.json.JsonWriter;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Files and Batches API of a gateway that has a master key: the encrypted file store ({@code batch.storage}: under
 * {@code <data_dir>/files/}, or in the store for several instances), the runner (claiming and resuming batches under
 * leases) and the sweeper (every minute, on one instance at a time).
 */
public final class Batches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Batches.class);
    static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

    private final BatchRunner runner;
    private final BatchSweeper sweeper;
    private final BatchApi.Parts apiParts;
    private final WorkerExecutor io;
    private final dev.veil.store.Store store;

    private Batches(BatchRunner runner, BatchSweeper sweeper, BatchApi.Parts apiParts, WorkerExecutor io,
                    dev.veil.store.Store store) {
        this.store = store;
        this.runner = runner;
        this.sweeper = sweeper;
        this.apiParts = apiParts;
        this.io = io;
    }

    /** Builds the batch machinery (nothing runs until {@link #start}). */
    public static Batches create(BatchRunner.Parts runnerParts, MasterKey master, Path dataDir, WorkerExecutor jdbc,
                                 JsonWriter json) {
        FileStorage files = runnerParts.config().sharedStorage()
                ? new DatabaseFiles(runnerParts.store().batchFileChunks())
                : new EncryptedFiles(dataDir.resolve("files"));
        if (!runnerParts.config().sharedStorage() && !runnerParts.store().singleNode()) {
            LOG.info("batch files are kept under {}: with several instances on this store set batch.storage: database, "
                    + "so that every instance can read them", dataDir.resolve("files"));
        }
        FileVault vault = new FileVault(runnerParts.store(), files, master);
        BatchRunner.Parts parts = new BatchRunner.Parts(runnerParts.vertx(), runnerParts.store(), vault, runnerParts.config(),
                runnerParts.routing(), runnerParts.catalog(), runnerParts.planner(), runnerParts.refusal(),
                runnerParts.limits(), runnerParts.meter(), runnerParts.inspector(), runnerParts.rewriter(),
                runnerParts.health(), runnerParts.clients(), runnerParts.json(), runnerParts.clock(),
                runnerParts.maxLineBytes());
        BatchRunner runner = new BatchRunner(parts);
        Vertx vertx = runnerParts.vertx();
        WorkerExecutor io = vertx.createSharedWorkerExecutor("veil-batch-io", 4);
        BatchSweeper sweeper = new BatchSweeper(runnerParts.store(), vault, runner, runnerParts.clock());
        BatchApi.Parts api = new BatchApi.Parts(vertx, runnerParts.store(), vault,
                new DeletionReceipts(master.receiptKey(), json), runner, runnerParts.config(), jdbc, io, runnerParts.clock());
        return new Batches(runner, sweeper, api, io, runnerParts.store());
    }

    /**
     * Starts claiming and running batches (resuming unfinished ones) and the periodic sweep. The sweep runs on one
     * instance at a time ({@link dev.veil.store.ExclusiveJobs}).
     */
    public void start(Vertx vertx, WorkerExecutor jdbc) {
        Runnable sweep = () -> jdbc.executeBlocking(this::sweep, false)
                .onFailure(t -> LOG.warn("batch sweep failed: {}", t.getClass().getName()));
        jdbc.executeBlocking(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.warn("batch sweep failed: {}", e.getClass().getName());
            }
            runner.start();
            return null;
        }, false).onFailure(t -> LOG.error("batches could not be resumed: {}", t.getClass().getName()));
        vertx.setPeriodic(SWEEP_INTERVAL.toMillis(), id -> sweep.run());
    }

    public BatchApi.Parts apiParts() {
        return apiParts;
    }

    public BatchRunner runner() {
        return runner;
    }

    /** Runs one sweep now unless another instance is sweeping (blocking); returns how many files it shredded. */
    public int sweep() {
        return store.exclusiveJobs().runAlone("batch-sweep", sweeper::sweep).orElse(0);
    }

    @Override
    public void close() {
        runner.close();
        io.close();
    }
}
