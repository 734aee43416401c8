package dev.veil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Samples one process's resident memory ({@code VmRSS} from {@code /proc/<pid>/status}) and open file descriptors (the
 * entries of {@code /proc/<pid>/fd}) on its own thread, once per interval, until stopped or the process is gone.
 */
public final class ProcessProbe implements AutoCloseable {

    /** One sample: seconds since the probe started, resident MiB, open descriptors. */
    public record Sample(double seconds, double rssMb, long fds) {
    }

    private final long pid;
    private final long intervalMs;
    private final List<Sample> samples = new ArrayList<>();
    private final long t0 = System.nanoTime();
    private final Thread thread;
    private volatile double goneAtSeconds = Double.NaN;

    /** Starts sampling {@code pid} every {@code intervalMs}. */
    public ProcessProbe(long pid, long intervalMs) {
        this.pid = pid;
        this.intervalMs = intervalMs;
        this.thread = new Thread(this::loop, "process-probe");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            if (!alive()) {
                goneAtSeconds = seconds();
                return;
            }
            Sample s = sample();
            if (s.rssMb() > 0) { // 0: the process was exiting between the check and the read
                synchronized (samples) {
                    samples.add(s);
                }
            }
            try {
                Thread.sleep(intervalMs);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private double seconds() {
        return (System.nanoTime() - t0) / 1e9;
    }

    /** Samples now (also from other threads: the idle and after-load figures). */
    public Sample sample() {
        return new Sample(seconds(), Target.rssKb(pid) / 1024.0, fds(pid));
    }

    /** Whether the process is still running. */
    public boolean alive() {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    /** Seconds after the start at which the process was found gone, or NaN while it runs. */
    public double goneAtSeconds() {
        return goneAtSeconds;
    }

    /** The samples so far. */
    public List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** Open descriptors of {@code pid}, or -1 when they cannot be read. */
    static long fds(long pid) {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return s.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
