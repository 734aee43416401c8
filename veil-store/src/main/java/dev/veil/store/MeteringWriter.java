package dev.veil.store;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes request metadata in the background so the request path never waits on the database.
 *
 * <p>{@link #record} puts a record on a bounded queue and returns at once. A daemon thread named {@code veil-metering}
 * writes the queue out every flush interval, or as soon as {@code maxBatch} records are waiting, at most
 * {@code maxBatch} records per transaction: the request_log rows plus the matching usage_ledger increments, so the
 * ledger always agrees with the rows written.
 *
 * <p>When a write fails the batch is kept and retried after the next tick, at least {@value #MIN_RETRY_MILLIS} ms
 * later; after {@value #MAX_ATTEMPTS} consecutive failures it is dropped and counted in {@link #droppedCount()}. A failure to reach the database at all (a connection
 * error: the database restarting, failing over or briefly unreachable) is different: the batch is retried with a
 * backoff up to {@value #MAX_BACKOFF_MILLIS} ms for as long as {@link #OUTAGE_WINDOW}, while new records wait in the
 * bounded queue, so requests completed during a short outage are still metered (docs/deployment.md). Only once
 * the writer is closing does a connection error count as an ordinary failure, so shutdown never waits out an outage.
 * Metering is best effort by design beyond that: losing records is preferable to stalling or exhausting memory when
 * the database stays down.
 */
public final class MeteringWriter implements AutoCloseable {

    /** Attempts per batch before it is dropped. */
    static final int MAX_ATTEMPTS = 5;
    /** How long a batch is retried while the database cannot be reached at all. */
    static final Duration OUTAGE_WINDOW = Duration.ofMinutes(2);
    /** The longest wait between two attempts while the database cannot be reached. */
    static final long MAX_BACKOFF_MILLIS = 5_000;
    /**
     * The least wait before a batch the database refused is tried again (a lock held by another process, say): the
     * flush interval can be far shorter, and five attempts within it would give up too soon.
     */
    static final long MIN_RETRY_MILLIS = 200;

    private static final Logger log = LoggerFactory.getLogger(MeteringWriter.class);

    private final Store store;
    private final int queueCapacity;
    private final int maxBatch;
    private final long intervalNanos;
    private final Thread thread;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();

    // One lock guards the queue and the counters below, so a record's position in the queue and its sequence number
    // agree; flush() depends on that ordering.
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Condition progress = lock.newCondition();
    private final ArrayDeque<RequestRecord> queue = new ArrayDeque<>();
    private long accepted;       // records ever accepted into the queue
    private long resolved;       // records written or dropped, in queue order
    private long flushTarget;    // the highest 'accepted' value a flush() waits for
    private boolean closing;
    // Written only by the metering thread.
    private long unreachableSince;  // System.nanoTime() of the first connection failure of this outage, or 0
    private long backoffMillis;     // the wait before the next attempt while unreachable
    private boolean writerExited;

    /**
     * Starts the writer thread.
     *
     * @param store         where to write
     * @param queueCapacity how many records may wait; beyond this {@link #record} drops
     * @param maxBatch      the most records per transaction, and the backlog that triggers an early write
     * @param flushInterval the longest a record waits before being written (and so what a process killed outright
     *                      loses: the records of the last interval); also the delay between retries, at least
     *                      {@value #MIN_RETRY_MILLIS} ms
     */
    public MeteringWriter(Store store, int queueCapacity, int maxBatch, Duration flushInterval) {
        this.store = Objects.requireNonNull(store, "store");
        if (queueCapacity < 1 || maxBatch < 1) {
            throw new IllegalArgumentException("queueCapacity and maxBatch must be at least 1");
        }
        if (flushInterval.isNegative() || flushInterval.isZero()) {
            throw new IllegalArgumentException("flushInterval must be positive");
        }
        this.queueCapacity = queueCapacity;
        this.maxBatch = maxBatch;
        this.intervalNanos = flushInterval.toNanos();
        this.thread = new Thread(this::run, "veil-metering");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a record for writing. Never blocks on the database; thread-safe.
     *
     * @return false, counting a drop, when the queue is full or the writer is closed
     */
    public boolean record(RequestRecord record) {
        Objects.requireNonNull(record, "record");
        lock.lock();
        try {
            if (closing || queue.size() >= queueCapacity) {
                dropped.incrementAndGet();
                return false;
            }
            queue.addLast(record);
            accepted++;
            if (queue.size() == maxBatch) {
                work.signal();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until every record accepted before this call has been written (or dropped after repeated failures).
     * Returns early if the calling thread is interrupted, with its interrupt flag set.
     */
    public void flush() {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("flush() must not be called from the metering thread");
        }
        lock.lock();
        try {
            long target = accepted;
            flushTarget = Math.max(flushTarget, target);
            work.signal();
            while (resolved < target && !writerExited) {
                progress.await();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    /** Records refused because the queue was full or the writer closed, plus records dropped after failed writes. */
    public long droppedCount() {
        return dropped.get();
    }

    /** Records written to the database. */
    public long writtenCount() {
        return written.get();
    }

    /**
     * Refuses further records, writes everything already queued and stops the thread. Does not close the store.
     * Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            work.signal();
        } finally {
            lock.unlock();
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // finish closing first: leaving the thread mid-write would lose records
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        List<RequestRecord> batch = new ArrayList<>(Math.min(maxBatch, queueCapacity));
        int failures = 0;
        long nextTick = System.nanoTime() + intervalNanos;
        try {
            while (true) {
                lock.lock();
                try {
                    while (!writeDue(failures > 0, nextTick)) {
                        work.awaitNanos(Math.max(1, nextTick - System.nanoTime()));
                    }
                    if (batch.isEmpty()) {
                        if (queue.isEmpty()) {
                            if (closing) {
                                return;
                            }
                            nextTick = System.nanoTime() + intervalNanos;
                            continue;
                        }
                        for (int i = 0; i < maxBatch && !queue.isEmpty(); i++) {
                            batch.add(queue.pollFirst());
                        }
                    }
                } finally {
                    lock.unlock();
                }
                Outcome outcome = write(batch, failures + 1);
                boolean ok = outcome == Outcome.WRITTEN;
                nextTick = System.nanoTime() + intervalNanos;
                if (outcome == Outcome.UNREACHABLE && !isClosing()) {
                    // The database is down, not refusing this batch: keep it and back off, within the outage window.
                    if (unreachableSince == 0) {
                        unreachableSince = System.nanoTime();
                    }
                    if (System.nanoTime() - unreachableSince < OUTAGE_WINDOW.toNanos()) {
                        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, Math.max(intervalNanos / 1_000_000, backoffMillis * 2));
                        nextTick = System.nanoTime() + backoffMillis * 1_000_000;
                        failures = Math.min(failures, MAX_ATTEMPTS - 2) + 1; // retrying, never dropped for this
                        continue;
                    }
                    failures = MAX_ATTEMPTS - 1; // the outage outlasted the window: this attempt was the last
                }
                if (outcome != Outcome.UNREACHABLE) {
                    unreachableSince = 0;
                    backoffMillis = 0;
                }
                if (ok) {
                    written.addAndGet(batch.size());
                } else if (++failures >= MAX_ATTEMPTS) {
                    log.warn("dropping {} metering records after {} failed attempts", batch.size(), failures);
                    dropped.addAndGet(batch.size());
                }
                if (ok || failures >= MAX_ATTEMPTS) {
                    resolve(batch.size());
                    batch.clear();
                    failures = 0;
                }
                if (failures > 0) {
                    nextTick = System.nanoTime() + Math.max(intervalNanos, MIN_RETRY_MILLIS * 1_000_000);
                }
            }
        } catch (InterruptedException e) {
            // Nothing interrupts this private thread; if something does, stop rather than spin.
            log.warn("metering thread interrupted; queued metering records will not be written");
        } finally {
            lock.lock();
            try {
                writerExited = true;
                closing = true; // nobody is left to write, so refuse new records rather than queue them forever
                progress.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Whether to write now. Must hold the lock. A failing batch waits for the next tick, whatever else is pending. */
    private boolean writeDue(boolean retrying, long nextTick) {
        boolean tickDue = System.nanoTime() - nextTick >= 0;
        if (retrying) {
            return tickDue;
        }
        return tickDue || closing || flushTarget > resolved || queue.size() >= maxBatch;
    }

    private void resolve(int count) {
        lock.lock();
        try {
            resolved += count;
            progress.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private boolean isClosing() {
        lock.lock();
        try {
            return closing;
        } finally {
            lock.unlock();
        }
    }

    /** What became of one attempt to write a batch. */
    private enum Outcome { WRITTEN, FAILED, UNREACHABLE }

    /** Writes one batch in one transaction; logs failures. */
    private Outcome write(List<RequestRecord> batch, int attempt) {
        try {
            Jdbc.inTransaction(store.dataSource(), "write metering batch", connection -> {
                store.requests().insertBatch(connection, batch);
                store.ledger().addAll(connection, LedgerEntry.aggregate(batch));
                return null;
            });
            return Outcome.WRITTEN;
        } catch (StoreException e) {
            boolean unreachable = unreachable(e.sqlState(), e.driverExceptionClass());
            // Class name and SQLState only: the driver's message may quote the values being written.
            if (unreachable) {
                if (unreachableSince == 0) {
                    log.warn("metering write of {} records failed: the database is unreachable ({}, SQLState {}); "
                            + "retrying with backoff for up to {} s while requests queue", batch.size(),
                            e.driverExceptionClass(), e.sqlState(), OUTAGE_WINDOW.toSeconds());
                }
                return Outcome.UNREACHABLE;
            }
            log.warn("metering write of {} records failed (attempt {} of {}): {} (SQLState {})",
                    batch.size(), attempt, MAX_ATTEMPTS, e.driverExceptionClass(), e.sqlState());
            return Outcome.FAILED;
        } catch (RuntimeException e) {
            log.warn("metering write of {} records failed (attempt {} of {}): {}",
                    batch.size(), attempt, MAX_ATTEMPTS, e.getClass().getName());
            return Outcome.FAILED;
        }
    }

    /**
     * Whether a failure means the database could not be reached at all, rather than refused the write: SQLState class
     * 08 (connection exception), PostgreSQL's 57P01–57P03 (the server shutting down or starting), or the pool giving
     * up on getting a connection.
     */
    static boolean unreachable(String sqlState, String driverExceptionClass) {
        if (sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P0"))) {
            return true;
        }
        return driverExceptionClass != null && (driverExceptionClass.endsWith("SQLTransientConnectionException")
                || driverExceptionClass.endsWith("SQLNonTransientConnectionException"));
    }
}
