package dev.veil.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Which answers of a fake upstream misbehave in the soak run, and how: {@code percent} of the answers get a fault,
 * chosen among the enabled {@link Fault}s by weight. The never-ending bodies have a lower weight than the rest: each one
 * costs the load core up to {@link #ENDLESS_CAP_BYTES} of writing when the gateway reads it all.
 *
 * @param percent     share of answers with a fault, 0..100
 * @param weights     the enabled faults and their relative weights (each at least 1)
 * @param slowMillis  how long {@link Fault#SLOW_FIRST_BYTE} waits before its first byte
 */
public record FaultPlan(int percent, Map<Fault, Integer> weights, long slowMillis) {

    /** No faults. */
    public static final FaultPlan NONE = new FaultPlan(0, Map.of(), 0);

    /** The most a never-ending body writes before the fake ends it anyway: a bound for the harness, not a target. */
    public static final long ENDLESS_CAP_BYTES = 256L << 20;

    /** The weights of the default mix: every fault, the never-ending bodies at a third of the others' weight. */
    static final Map<Fault, Integer> DEFAULT_WEIGHTS = defaultWeights();

    public FaultPlan {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("fault percent is 0..100, got " + percent);
        }
        if (percent > 0 && weights.isEmpty()) {
            throw new IllegalArgumentException("a fault percent above 0 needs at least one fault");
        }
        weights.forEach((f, w) -> {
            if (f == Fault.NONE || w < 1) {
                throw new IllegalArgumentException("fault weights are at least 1 and NONE is not a fault");
            }
        });
        weights = weights.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(weights));
    }

    private static Map<Fault, Integer> defaultWeights() {
        Map<Fault, Integer> w = new EnumMap<>(Fault.class);
        for (Fault f : Fault.values()) {
            if (f != Fault.NONE) {
                w.put(f, f == Fault.ENDLESS_BODY || f == Fault.ENDLESS_ERROR ? 1 : 3);
            }
        }
        return w;
    }

    /**
     * The plan for {@code percent} % of answers with the faults named in {@code ids} (comma-separated {@link Fault#id()}s,
     * or {@code all}), weighted as in the default mix.
     */
    public static FaultPlan of(int percent, String ids, long slowMillis) {
        Map<Fault, Integer> w = new EnumMap<>(Fault.class);
        if (ids.isBlank() || ids.trim().equals("none")) {
            return new FaultPlan(0, Map.of(), slowMillis);
        }
        if (ids.trim().equals("all")) {
            w.putAll(DEFAULT_WEIGHTS);
        } else {
            for (String id : ids.split(",")) {
                Fault f = Fault.byId(id);
                w.put(f, DEFAULT_WEIGHTS.get(f));
            }
        }
        return new FaultPlan(percent, w, slowMillis);
    }

    /** The fault for the next answer: {@link Fault#NONE} for {@code 100 - percent} % of draws. */
    public Fault decide(RandomGenerator random) {
        if (percent == 0 || random.nextInt(100) >= percent) {
            return Fault.NONE;
        }
        int total = 0;
        for (int w : weights.values()) {
            total += w;
        }
        int pick = random.nextInt(total);
        for (Map.Entry<Fault, Integer> e : weights.entrySet()) {
            pick -= e.getValue();
            if (pick < 0) {
                return e.getKey();
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** The enabled faults' ids, in declaration order, for the report. */
    public List<String> ids() {
        List<String> ids = new ArrayList<>();
        weights.keySet().forEach(f -> ids.add(f.id()));
        return ids;
    }
}
