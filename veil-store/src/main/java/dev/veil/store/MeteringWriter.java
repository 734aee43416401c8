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
 * <p>When a write fails the batch is kept and retried on the next tick; after {@value #MAX_ATTEMPTS} consecutive
 * failures it is dropped and counted in {@link #droppedCount()}. Metering is best effort by design: losing a few
 * records is preferable to stalling or exhausting memory when the database is down.
 */
public final class MeteringWriter implements AutoCloseable {

    /** Attempts per batch before it is dropped. */
    static final int MAX_ATTEMPTS = 5;

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
    private boolean writerExited;

    /**
     * Starts the writer thread.
     *
     * @param store         where to write
     * @param queueCapacity how many records may wait; beyond this {@link #record} drops
     * @param maxBatch      the most records per transaction, and the backlog that triggers an early write
     * @param flushInterval the longest a record waits before being written; also the delay between retries
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
                boolean ok = write(batch, failures + 1);
                nextTick = System.nanoTime() + intervalNanos;
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

    /** Writes one batch in one transaction; logs and returns false on failure. */
    private boolean write(List<RequestRecord> batch, int attempt) {
        try {
            Jdbc.inTransaction(store.dataSource(), "write metering batch", connection -> {
                store.requests().insertBatch(connection, batch);
                store.ledger().addAll(connection, LedgerEntry.aggregate(batch));
                return null;
            });
            return true;
        } catch (StoreException e) {
            // Class name and SQLState only: the driver's message may quote the values being written.
            log.warn("metering write of {} records failed (attempt {} of {}): {} (SQLState {})",
                    batch.size(), attempt, MAX_ATTEMPTS, e.driverExceptionClass(), e.sqlState());
            return false;
        } catch (RuntimeException e) {
            log.warn("metering write of {} records failed (attempt {} of {}): {}",
                    batch.size(), attempt, MAX_ATTEMPTS, e.getClass().getName());
            return false;
        }
    }
}
