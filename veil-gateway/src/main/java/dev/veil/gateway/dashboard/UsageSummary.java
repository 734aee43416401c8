package dev.veil.gateway.dashboard;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.store.RequestRecord;
import dev.veil.store.RequestTotal;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Usage grouped by day, model, route, privacy mode, key, endpoint or status class, from the request log's rows and
 * the daily totals of keys in {@code daily_totals} mode: requests, errors, tokens, cost, and latency and time-to-first
 * token percentiles. Percentiles come from a histogram with buckets 2 % wide (so within about 1 % of the exact value)
 * and only from request-log rows (daily totals keep no times). Memory is bounded: at most {@link #MAX_GROUPS} groups,
 * the rest counted under {@code "(other)"}, and one fixed-size histogram per group and measure.
 */
final class UsageSummary {

    /** The dimensions usage can be grouped by. */
    enum GroupBy {
        DAY, MODEL, ROUTE, MODE, KEY, ENDPOINT, STATUS;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        static GroupBy fromWireName(String value) {
            for (GroupBy g : values()) {
                if (g.wireName().equals(value)) {
                    return g;
                }
            }
            return null;
        }
    }

    static final int MAX_GROUPS = 1_000;
    static final String OTHER = "(other)";
    static final String NONE = "(none)";

    private final GroupBy groupBy;
    private final Function<String, String> routeMode;
    private final Map<String, Group> groups = new TreeMap<>();
    private final Group totals = new Group();

    /** @param routeMode the privacy mode of a configured route name, or {@code null} when unknown */
    UsageSummary(GroupBy groupBy, Function<String, String> routeMode) {
        this.groupBy = groupBy;
        this.routeMode = routeMode;
    }

    void add(RequestRecord r) {
        String key = switch (groupBy) {
            case DAY -> LocalDate.ofInstant(r.createdAt(), ZoneOffset.UTC).toString();
            case MODEL -> r.model();
            case ROUTE -> r.route();
            case MODE -> r.mode();
            case KEY -> r.keyId();
            case ENDPOINT -> r.endpoint();
            case STATUS -> (r.status() / 100) + "xx";
        };
        for (Group g : new Group[] {group(key), totals}) {
            g.add(1, r.status() >= 400 ? 1 : 0, r.status() >= 500 ? 1 : 0, r.promptTokens(), r.completionTokens(),
                    r.totalTokens(), r.costMicros());
            g.latency.add(r.latencyMs());
            if (r.ttftMs() != null) {
                g.ttft.add(r.ttftMs());
            }
        }
    }

    void add(RequestTotal t) {
        String key = switch (groupBy) {
            case DAY -> t.day().toString();
            case MODEL -> t.model();
            case ROUTE -> t.route();
            case MODE -> t.route() == null ? null : routeMode.apply(t.route());
            case KEY -> t.keyId();
            case ENDPOINT -> t.endpoint();
            case STATUS -> t.statusClass();
        };
        boolean error = t.statusClass().startsWith("4") || t.statusClass().startsWith("5");
        for (Group g : new Group[] {group(key), totals}) {
            g.add(t.requests(), error ? t.requests() : 0, t.statusClass().startsWith("5") ? t.requests() : 0,
                    t.promptTokens(), t.completionTokens(), t.totalTokens(), t.costMicros());
        }
    }

    private Group group(String key) {
        String name = key == null ? NONE : key;
        Group g = groups.get(name);
        if (g == null) {
            if (groups.size() >= MAX_GROUPS) {
                return groups.computeIfAbsent(OTHER, k -> new Group());
            }
            g = new Group();
            groups.put(name, g);
        }
        return g;
    }

    /** Writes {@code groups} (ordered by name; days so in time order) and {@code totals}. */
    void write(JsonGenerator g) throws IOException {
        g.writeStringField("group_by", groupBy.wireName());
        g.writeArrayFieldStart("groups");
        for (Map.Entry<String, Group> e : groups.entrySet()) {
            g.writeStartObject();
            g.writeStringField("group", e.getKey());
            e.getValue().write(g);
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeObjectFieldStart("totals");
        totals.write(g);
        g.writeEndObject();
    }

    /** The sums and histograms of one group. */
    private static final class Group {
        long requests;
        long errors;
        long serverErrors;
        long promptTokens;
        long completionTokens;
        long totalTokens;
        long costMicros;
        final Histogram latency = new Histogram();
        final Histogram ttft = new Histogram();

        void add(long requests, long errors, long serverErrors, long prompt, long completion, long total, long cost) {
            this.requests += requests;
            this.errors += errors;
            this.serverErrors += serverErrors;
            this.promptTokens += prompt;
            this.completionTokens += completion;
            this.totalTokens += total;
            this.costMicros += cost;
        }

        void write(JsonGenerator g) throws IOException {
            g.writeNumberField("requests", requests);
            g.writeNumberField("errors", errors);
            g.writeNumberField("server_errors", serverErrors);
            g.writeNumberField("error_rate", requests == 0 ? 0.0 : Math.round(errors * 10_000.0 / requests) / 10_000.0);
            g.writeNumberField("prompt_tokens", promptTokens);
            g.writeNumberField("completion_tokens", completionTokens);
            g.writeNumberField("total_tokens", totalTokens);
            g.writeNumberField("cost_usd", costMicros / 1e6);
            latency.write(g, "latency_ms");
            ttft.write(g, "ttft_ms");
        }
    }

    /** Counts per bucket of width 2 %: bucket 0 holds 0 ms, bucket i ≥ 1 holds [1.02^(i-1), 1.02^i). */
    static final class Histogram {
        private static final double GROWTH = Math.log(1.02);
        /** Up to about 1.02^1023 ≈ 6 × 10^8 ms, a week; longer values count in the last bucket. */
        private static final int BUCKETS = 1_024;
        private int[] counts;
        private long n;
        private long max;

        void add(long millis) {
            if (counts == null) {
                counts = new int[BUCKETS];
            }
            long v = Math.max(0, millis);
            int bucket = v == 0 ? 0 : (int) Math.min(BUCKETS - 1, 1 + (long) Math.floor(Math.log(v) / GROWTH));
            counts[bucket]++;
            n++;
            max = Math.max(max, v);
        }

        /** The value at quantile {@code q}: the middle of its bucket, never above the largest value seen (which q = 1 is). */
        long quantile(double q) {
            long rank = (long) Math.ceil(q * n);
            if (rank >= n) {
                return max;
            }
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += counts[i];
                if (seen >= Math.max(1, rank)) {
                    if (i == 0) {
                        return 0;
                    }
                    double low = Math.exp((i - 1) * GROWTH);
                    double high = Math.exp(i * GROWTH);
                    return Math.min(max, Math.round((low + high) / 2));
                }
            }
            return max;
        }

        void write(JsonGenerator g, String field) throws IOException {
            if (n == 0) {
                g.writeNullField(field);
                return;
            }
            g.writeObjectFieldStart(field);
            g.writeNumberField("count", n);
            g.writeNumberField("p50", quantile(0.50));
            g.writeNumberField("p90", quantile(0.90));
            g.writeNumberField("p95", quantile(0.95));
            g.writeNumberField("p99", quantile(0.99));
            g.writeNumberField("max", max);
            g.writeEndObject();
        }
    }

    /** For tests: the groups' names in order. */
    List<String> groupNames() {
        return List.copyOf(new LinkedHashMap<>(groups).keySet());
    }
}
