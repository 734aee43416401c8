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
import java.io.IOException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
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
 *
 * <p>Several instances may share one store: a batch runs only on the instance that holds its lease
 * ({@link dev.veil.store.BatchLeaseRepository}). A lease thread ({@code veil-batch-lease}) renews the leases of this
 * instance's jobs every {@link BatchConfig#heartbeatMs()} (a job whose lease was taken over stops without ending its
 * batch; a job whose batch was cancelled on another instance is told so) and every {@code batch.claim_interval_ms}
 * claims as many unheld batches (new, released, or whose holder died) as it has free slots. Progress commits and, with
 * shared storage, output writes are fenced by the lease, so a holder that stalled past its lease can never add a line
 * after another instance took the batch over.
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
    private final ScheduledExecutorService leases;
    private final ConcurrentHashMap<String, BatchJob> jobs = new ConcurrentHashMap<>();
    private final String owner;
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
        this.leases = Executors.newSingleThreadScheduledExecutor(threads("veil-batch-lease-"));
        this.owner = ownerId();
    }

    /**
     * This instance's name on the leases it holds: host name, process id and random bits (the random part tells a
     * restarted process from its predecessor). Names infrastructure only.
     */
    private static String ownerId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            host = "unknown-host";
        }
        if (host.length() > 64) {
            host = host.substring(0, 64);
        }
        byte[] random = new byte[4];
        new SecureRandom().nextBytes(random);
        return host + "/" + ProcessHandle.current().pid() + "/" + HexFormat.of().formatHex(random);
    }

    /** The id this instance holds leases under. */
    public String owner() {
        return owner;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Asks to run a batch here (just created): on the lease thread, it is claimed and queued if this instance has a
     * free slot and nobody else holds it; otherwise the instance with a free slot claims it on its next poll.
     */
    public void submit(String batchId) {
        if (closing) {
            return;
        }
        onLeaseThread(() -> {
            if (!jobs.containsKey(batchId) && jobs.size() < parts.config().maxActiveBatches() && claim(batchId)) {
                enqueue(batchId);
            }
        });
    }

    /** The batch was moved to {@code cancelling}: a running job stops after its in-flight requests; a queued one ends now. */
    public void cancel(String batchId) {
        signal(batchId, BatchJob::cancel);
    }

    /** The batch passed its completion window. */
    public void expire(String batchId) {
        signal(batchId, BatchJob::expire);
    }

    /**
     * Tells the batch's job here, or claims the batch and ends it on the control thread when nobody holds it. A batch
     * held by another instance is left to it: its holder sees a cancellation at its next heartbeat and an expiry
     * before its next chunk.
     */
    private void signal(String batchId, Consumer<BatchJob> how) {
        if (closing) {
            return;
        }
        if (!signalLocal(batchId, how)) {
            onLeaseThread(() -> {
                if (!signalLocal(batchId, how) && claim(batchId)) {
                    BatchJob job = new BatchJob(this, batchId);
                    how.accept(job);
                    if (jobs.putIfAbsent(batchId, job) == null) {
                        control.execute(job);
                    }
                }
            });
        }
    }

    private boolean signalLocal(String batchId, Consumer<BatchJob> how) {
        BatchJob job = jobs.get(batchId);
        if (job == null) {
            return false;
        }
        how.accept(job);
        if (!job.started()) {
            // Queued behind running batches: end it on the control thread instead of waiting for a slot.
            control.execute(job);
        }
        return true;
    }

    /**
     * Starts the lease thread: drops every lease first when the store is single-node (SQLite: no other process can
     * hold one, so a killed predecessor's leases need not be waited out), then claims unfinished batches, oldest first,
     * and keeps renewing and claiming.
     */
    public void start() {
        if (parts.store().singleNode()) {
            int dropped = parts.store().batchLeases().releaseAll();
            if (dropped > 0) {
                LOG.info("took over {} batch lease(s) left by a previous process", dropped);
            }
        }
        LOG.info("batch lease owner {}", owner);
        long heartbeat = parts.config().heartbeatMs();
        leases.scheduleWithFixedDelay(this::heartbeat, heartbeat, heartbeat, TimeUnit.MILLISECONDS);
        leases.scheduleWithFixedDelay(this::claimFree, 0, parts.config().claimIntervalMs(), TimeUnit.MILLISECONDS);
    }

    /** Resumes every unfinished batch this instance has room for (on gateway start); see {@link #start()}. */
    public void resumeAll() {
        onLeaseThread(this::claimFree);
    }

    private void onLeaseThread(Runnable task) {
        try {
            leases.execute(() -> {
                try {
                    task.run();
                } catch (RuntimeException e) {
                    LOG.warn("batch lease task failed: {}", e.getClass().getName());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private boolean claim(String batchId) {
        return parts.store().batchLeases().claim(batchId, owner, parts.clock().millis(), parts.config().leaseMs());
    }

    private void enqueue(String batchId) {
        BatchJob created = new BatchJob(this, batchId);
        if (jobs.putIfAbsent(batchId, created) == null) {
            try {
                executor.execute(created);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                jobs.remove(batchId, created);
            }
        }
    }

    /** Claims as many unheld batches as there are free slots. On the lease thread. */
    private void claimFree() {
        if (closing) {
            return;
        }
        try {
            int free = parts.config().maxActiveBatches() - jobs.size();
            for (String id : parts.store().batchLeases().claimFree(owner, parts.clock().millis(), parts.config().leaseMs(),
                    free)) {
                LOG.info("batch_id={} claimed", id);
                enqueue(id);
            }
        } catch (RuntimeException e) {
            LOG.warn("batch claim failed: {}", e.getClass().getName());
        }
    }

    /** Renews the leases of this instance's jobs; stops those whose lease was lost, tells those cancelled elsewhere. */
    private void heartbeat() {
        for (BatchJob job : jobs.values()) {
            if (closing) {
                return;
            }
            try {
                Optional<String> status = parts.store().batchLeases().renew(job.batchId(), owner, parts.clock().millis(),
                        parts.config().leaseMs());
                if (status.isEmpty()) {
                    if (jobs.get(job.batchId()) != job) {
                        continue; // the job ended and released its lease meanwhile
                    }
                    LOG.warn("batch_id={} lease lost; the instance that took it over finishes it", job.batchId());
                    job.leaseLost();
                } else if (status.get().equals(BatchRecord.CANCELLING)) {
                    signalLocal(job.batchId(), BatchJob::cancel);
                }
            } catch (RuntimeException e) {
                // The store is unreachable: the lease lapses unless a later heartbeat gets through, and the job's
                // fenced commits refuse to move the batch once another instance took it over.
                LOG.warn("batch_id={} lease not renewed: {}", job.batchId(), e.getClass().getName());
            }
        }
    }

    /** Whether a job for this batch is queued or running here. */
    public boolean active(String batchId) {
        return jobs.containsKey(batchId);
    }

    /** A job ended (its batch ended, it paused for shutdown, or it lost its lease): its lease is given up. */
    void done(BatchJob job) {
        // Removed before the release, so that a heartbeat finding the lease gone knows the job had ended.
        jobs.remove(job.batchId(), job);
        if (!job.lostLease()) {
            release(job.batchId());
        }
        if (!closing) {
            onLeaseThread(this::claimFree);
        }
    }

    private void release(String batchId) {
        try {
            parts.store().batchLeases().release(batchId, owner);
        } catch (RuntimeException e) {
            LOG.warn("batch_id={} lease not released (it lapses): {}", batchId, e.getClass().getName());
        }
    }

    boolean closing() {
        return closing;
    }

    /**
     * Stops: running jobs abandon their current chunk (uncommitted results are discarded and redone by whoever resumes),
     * queued ones are dropped, and every lease is released so that another instance takes the batches over at once;
     * the store keeps every batch's committed progress.
     */
    @Override
    public void close() {
        closing = true;
        leases.shutdownNow();
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
        // Jobs that never started hold leases too: give them up so that another instance takes over at once.
        for (BatchJob job : jobs.values()) {
            if (!job.started()) {
                release(job.batchId());
            }
        }
    }
}
