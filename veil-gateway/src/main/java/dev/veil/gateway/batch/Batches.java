package dev.veil.gateway.batch;

import dev.veil.gateway.batch.files.DeletionReceipts;
import dev.veil.gateway.batch.files.EncryptedFiles;
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
 * The Files and Batches API of a gateway that has a master key: the encrypted file store under
 * {@code <data_dir>/files/}, the runner (resuming unfinished batches on start) and the sweeper (every minute).
 */
public final class Batches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Batches.class);
    static final Duration SWEEP_INTERVAL = Duration.ofMinutes(1);

    private final BatchRunner runner;
    private final BatchSweeper sweeper;
    private final BatchApi.Parts apiParts;
    private final WorkerExecutor io;

    private Batches(BatchRunner runner, BatchSweeper sweeper, BatchApi.Parts apiParts, WorkerExecutor io) {
        this.runner = runner;
        this.sweeper = sweeper;
        this.apiParts = apiParts;
        this.io = io;
    }

    /** Builds the batch machinery (nothing runs until {@link #start}). */
    public static Batches create(BatchRunner.Parts runnerParts, MasterKey master, Path dataDir, WorkerExecutor jdbc,
                                 JsonWriter json) {
        EncryptedFiles files = new EncryptedFiles(dataDir.resolve("files"));
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
        return new Batches(runner, sweeper, api, io);
    }

    /** Resumes unfinished batches and starts the periodic sweep. */
    public void start(Vertx vertx, WorkerExecutor jdbc) {
        Runnable sweep = () -> jdbc.executeBlocking(sweeper::sweep, false)
                .onFailure(t -> LOG.warn("batch sweep failed: {}", t.getClass().getName()));
        jdbc.executeBlocking(() -> {
            sweeper.sweep();
            runner.resumeAll();
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

    /** Runs one sweep now (blocking); for tests and operations. */
    public int sweep() {
        return sweeper.sweep();
    }

    @Override
    public void close() {
        runner.close();
        io.close();
    }
}
