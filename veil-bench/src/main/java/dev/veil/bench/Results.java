package dev.veil.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every figure of a run: cell → metric → target → one value per repeat (NaN where a repeat had none), plus notes
 * (why a target is n/a, the first error a cell saw) and the run's metadata.
 */
public final class Results {

    private final Map<String, Map<String, Map<String, List<Double>>>> values = new LinkedHashMap<>();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private final Map<String, Object> meta = new LinkedHashMap<>();

    /** Appends one repeat's value. */
    public synchronized void put(String cell, String metric, String target, double value) {
        values.computeIfAbsent(cell, c -> new LinkedHashMap<>())
                .computeIfAbsent(metric, m -> new LinkedHashMap<>())
                .computeIfAbsent(target, t -> new ArrayList<>())
                .add(value);
    }

    public synchronized List<Double> get(String cell, String metric, String target) {
        return values.getOrDefault(cell, Map.of()).getOrDefault(metric, Map.of()).getOrDefault(target, List.of());
    }

    /** Median and range of a figure over its repeats. */
    public Stats.Spread spread(String cell, String metric, String target) {
        return Stats.spread(get(cell, metric, target));
    }

    /**
     * Median and range of the figure minus the baseline's figure of the same repeat: the repeats are interleaved, so
     * each pair was measured minutes apart at most.
     */
    public Stats.Spread added(String cell, String metric, String target, String baseline) {
        List<Double> v = get(cell, metric, target);
        List<Double> b = get(cell, metric, baseline);
        List<Double> diff = new ArrayList<>();
        for (int i = 0; i < Math.min(v.size(), b.size()); i++) {
            diff.add(v.get(i) - b.get(i));
        }
        return Stats.spread(diff);
    }

    /** The largest value of a figure over its repeats (NaN when none). */
    public synchronized double spreadMax(String cell, String metric, String target) {
        return Stats.spread(get(cell, metric, target)).max();
    }

    /** The lowest {@code success_pct} of any cell and repeat for {@code target} (NaN when none). */
    public synchronized double lowestSuccess(String target) {
        double lowest = Double.NaN;
        for (Map<String, Map<String, List<Double>>> metrics : values.values()) {
            for (double v : metrics.getOrDefault("success_pct", Map.of()).getOrDefault(target, List.of())) {
                if (!Double.isNaN(v) && (Double.isNaN(lowest) || v < lowest)) {
                    lowest = v;
                }
            }
        }
        return lowest;
    }

    /** Keeps the first note for a cell and target (e.g. the first error seen). */
    public synchronized void note(String cell, String target, String text) {
        if (text != null && !text.isBlank()) {
            notes.putIfAbsent(cell + "|" + target, text);
        }
    }

    public synchronized String noteFor(String cell, String target) {
        return notes.get(cell + "|" + target);
    }

    public synchronized Map<String, String> notes() {
        return new LinkedHashMap<>(notes);
    }

    public synchronized void meta(String key, Object value) {
        meta.put(key, value);
    }

    public synchronized Object meta(String key) {
        return meta.get(key);
    }

    public synchronized Map<String, Object> metaMap() {
        return new LinkedHashMap<>(meta);
    }

    public synchronized Map<String, Map<String, Map<String, List<Double>>>> values() {
        return values;
    }

    /** The whole run as plain maps and lists, for JSON. */
    public synchronized Map<String, Object> toMap() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("meta", meta);
        out.put("values", values);
        out.put("notes", notes);
        return out;
    }

    /** {@code cell,metric,target,repeat,value} rows. */
    public synchronized String toCsv() {
        StringBuilder b = new StringBuilder("cell,metric,target,repeat,value\n");
        values.forEach((cell, metrics) -> metrics.forEach((metric, targets) -> targets.forEach((target, list) -> {
            for (int i = 0; i < list.size(); i++) {
                b.append(cell).append(',').append(metric).append(',').append(target).append(',').append(i + 1)
                        .append(',').append(Double.isNaN(list.get(i)) ? "" : list.get(i)).append('\n');
            }
        })));
        return b.toString();
    }
}
