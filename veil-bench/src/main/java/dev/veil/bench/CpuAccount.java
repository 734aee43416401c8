package dev.veil.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How much of the machine's CPU went to processes other than the harness and the proxies it started: the noise
 * indicator of a run. Reads {@code /proc/stat} (all CPUs' busy time) and the harness's own time, its reaped children's
 * (wrk, the key command) and its live descendants' (nginx, Portkey, Veil, the second fake).
 */
final class CpuAccount {

    private final long busyStart;
    private final long ownStart;
    private final long nanosStart;
    private final java.util.concurrent.atomic.AtomicLong credited = new java.util.concurrent.atomic.AtomicLong();

    private CpuAccount(long busy, long own, long nanos) {
        this.busyStart = busy;
        this.ownStart = own;
        this.nanosStart = nanos;
    }

    static CpuAccount start() {
        return new CpuAccount(machineBusy(), own(), System.nanoTime());
    }

    /** Percent of the whole machine (all CPUs) used by other processes since {@link #start}, or NaN. */
    double foreignPercent() {
        long busy = machineBusy() - busyStart;
        long own = own() - ownStart + credited.get();
        double seconds = (System.nanoTime() - nanosStart) / 1e9;
        int cpus = Runtime.getRuntime().availableProcessors();
        long online = onlineCpus();
        if (busy <= 0 || seconds <= 0 || online <= 0) {
            return Double.NaN;
        }
        cpus = (int) Math.max(cpus, online);
        return Math.max(0, 100.0 * (busy - own) / 100.0 / (seconds * cpus));
    }

    private static long onlineCpus() {
        try {
            return Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("^cpu\\d+ .*")).count();
        } catch (Exception e) {
            return -1;
        }
    }

    /** user + nice + system + irq + softirq + steal of all CPUs, in clock ticks (100 a second). */
    static long machineBusy() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long sum = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                sum += Long.parseLong(f[i]);
            }
            return sum;
        } catch (Exception e) {
            return -1;
        }
    }

    /** This process's time with its reaped children, plus its live descendants' own time, in ticks. */
    static long own() {
        long self = ProcessHandle.current().pid();
        long total = ticks(self, true);
        for (ProcessHandle d : ProcessHandle.current().descendants().toList()) {
            total += ticks(d.pid(), true);
        }
        return total;
    }

    /**
     * The CPU ticks of {@code pid} with its reaped children and its live descendants: for a process the harness started
     * that is not its descendant (PostgreSQL's postmaster, started through {@code pg_ctl}), to {@link #credit}.
     */
    static long treeTicks(long pid) {
        long total = ticks(pid, true);
        for (ProcessHandle d : ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of())) {
            total += ticks(d.pid(), true);
        }
        return total;
    }

    /** Counts {@code ticks} as the harness's own work (see {@link #treeTicks}); call before that process stops. */
    void credit(long ticks) {
        credited.addAndGet(Math.max(0, ticks));
    }

    private static long ticks(long pid, boolean withChildren) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            List<String> f = List.of(stat.substring(stat.lastIndexOf(')') + 2).split(" "));
            // fields after the command: state(0) ... utime(11) stime(12) cutime(13) cstime(14)
            long t = Long.parseLong(f.get(11)) + Long.parseLong(f.get(12));
            if (withChildren) {
                t += Long.parseLong(f.get(13)) + Long.parseLong(f.get(14));
            }
            return t;
        } catch (Exception e) {
            return 0;
        }
    }
}
