package dev.veil.gateway.batch.runner;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.batch.files.FileVault;
import dev.veil.gateway.config.BatchConfig;
import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.RequestRewriter;
import dev.veil.gateway.policy.PolicyRefusal;
import dev.veil.gateway.policy.RoutePlanner;
import dev.veil.gateway.relay.UpstreamClients;
import dev.veil.gateway.relay.UpstreamErrors;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.store.BatchRecord;
import dev.veil.store.Store;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs batches: at most {@code batch.max_active_batches} at a time on their own threads ({@code veil-batch-N}), each
 * with at most {@code batch.concurrency} requests in flight and all of them together at most
 * {@code batch.global_concurrency}. Upstream calls run on Vert.x event loops; the batch threads do the blocking part
 * (decrypting the input, writing encrypted results, committing progress). Cancellation and expiry of a batch that is
 * still queued are handled at once on a control thread.
 */
public final class BatchRunner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    /** Everything a batch job needs. */
    public record Parts(Vertx vertx, Store store, FileVault vault, BatchConfig config, RoutingConfig routing,
                        ModelCatalog catalog, RoutePlanner planner, PolicyRefusal refusal, KeyLimits limits,
                        RequestMeter meter, RequestInspector inspector, RequestRewriter rewriter, RouteHealth health,
                        UpstreamClients clients, JsonFactory json, Clock clock, int maxLineBytes) {
    }

    final Parts parts;
    final UpstreamCaller caller;
    final Semaphore global;
    final ObjectMapper mapper;
    private final ThreadPoolExecutor executor;
    private final ExecutorService control;
    private final ConcurrentHashMap<String, BatchJob> jobs = new ConcurrentHashMap<>();
    private volatile boolean closing;

    public BatchRunner(Parts parts) {
        this.parts = parts;
        this.caller = new UpstreamCaller(parts.vertx(), parts.clients(), parts.rewriter(), parts.health(), parts.routing(),
                new UpstreamErrors(parts.json()));
        this.global = new Semaphore(parts.config().globalConcurrency());
        this.mapper = new ObjectMapper(parts.json());
        int active = parts.config().maxActiveBatches();
        this.executor = new ThreadPoolExecutor(active, active, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                threads("veil-batch-"));
        this.control = Executors.newSingleThreadExecutor(threads("veil-batch-control-"));
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Queues a batch to run (or to resume). Idempotent while it is queued or running. */
    public void submit(String batchId) {
        if (closing) {
            return;
        }
        BatchJob created = new BatchJob(this, batchId);
        BatchJob job = jobs.putIfAbsent(batchId, created);
        if (job == null) {
            executor.execute(created);
        }
    }

    /** The batch was moved to {@code cancelling}: a running job stops after its in-flight requests; a queued one ends now. */
    public void cancel(String batchId) {
        signal(batchId, BatchJob::cancel);
    }

    /** The batch passed its completion window. */
    public void expire(String batchId) {
        signal(batchId, BatchJob::expire);
    }

    private void signal(String batchId, java.util.function.Consumer<BatchJob> how) {
        if (closing) {
            return;
        }
        BatchJob job = jobs.get(batchId);
        if (job == null) {
            submit(batchId);
            job = jobs.get(batchId);
        }
        if (job != null) {
            how.accept(job);
            if (!job.started()) {
                // Queued behind running batches: end it on the control thread instead of waiting for a slot.
                control.execute(job);
            }
        }
    }

    /** Resumes every batch that has not ended, oldest first (on gateway start). */
    public void resumeAll() {
        for (BatchRecord batch : parts.store().batches().unfinished()) {
            submit(batch.id());
        }
    }

    /** Whether a job for this batch is queued or running here. */
    public boolean active(String batchId) {
        return jobs.containsKey(batchId);
    }

    void done(BatchJob job) {
        jobs.remove(job.batchId(), job);
    }

    boolean closing() {
        return closing;
    }

    /**
     * Stops: running jobs abandon their current chunk (uncommitted results are discarded and redone on the next start),
     * queued ones are dropped; the store keeps every batch's committed progress.
     */
    @Override
    public void close() {
        closing = true;
        jobs.values().forEach(BatchJob::shutdown);
        executor.shutdownNow();
        control.shutdownNow();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("batch threads did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
