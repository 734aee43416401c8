package dev.veil.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/** Small statistics used by the harness: latency histograms and the median and spread of repeats. */
public final class Stats {

    /** Largest latency a histogram records: one minute, in nanoseconds. */
    public static final long MAX_NANOS = TimeUnit.MINUTES.toNanos(1);

    private Stats() {
    }

    /** A histogram of nanosecond latencies with three significant digits (0.1 % resolution). */
    public static Histogram histogram() {
        return new Histogram(MAX_NANOS, 3);
    }

    /** Records {@code nanos}, clamped into the histogram's range. */
    public static void record(Histogram h, long nanos) {
        h.recordValue(Math.max(0, Math.min(MAX_NANOS, nanos)));
    }

    /** The value at {@code percentile} (0..100) in microseconds, or NaN for an empty histogram. */
    public static double micros(Histogram h, double percentile) {
        if (h.getTotalCount() == 0) {
            return Double.NaN;
        }
        return h.getValueAtPercentile(percentile) / 1_000.0;
    }

    /** Median, minimum and maximum of a figure's repeats. */
    public record Spread(double median, double min, double max, int n) {
        public static final Spread NONE = new Spread(Double.NaN, Double.NaN, Double.NaN, 0);

        public boolean present() {
            return n > 0 && !Double.isNaN(median);
        }
    }

    /** The median (mean of the middle two for an even count) and range of the non-NaN values. */
    public static Spread spread(List<Double> values) {
        List<Double> v = new ArrayList<>();
        for (Double d : values) {
            if (d != null && !d.isNaN()) {
                v.add(d);
            }
        }
        if (v.isEmpty()) {
            return Spread.NONE;
        }
        Collections.sort(v);
        int n = v.size();
        double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2.0;
        return new Spread(median, v.get(0), v.get(n - 1), n);
    }
}
