package dev.veil.store;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The daily totals kept instead of request rows for a key in {@code daily_totals} mode: one UTC day, endpoint, model,
 * route and status class, with counts, tokens and cost. No request id, no time finer than the day. Also used as an
 * increment to add to the stored totals.
 *
 * @param keyId            the API key id
 * @param day              the UTC day
 * @param endpoint         the fixed endpoint label, e.g. {@code chat.completions} or {@code batch.embeddings}
 * @param model            the public model id
 * @param route            the route that served the requests; {@code null} when none was chosen
 * @param statusClass      the HTTP status class returned, {@code 2xx} to {@code 5xx}
 * @param requests         number of requests
 * @param promptTokens     prompt tokens
 * @param completionTokens completion tokens
 * @param totalTokens      total tokens
 * @param costMicros       cost in millionths of a US dollar
 */
public record RequestTotal(String keyId, LocalDate day, String endpoint, String model, String route,
                           String statusClass, long requests, long promptTokens, long completionTokens,
                           long totalTokens, long costMicros) {

    /** Rejects missing key fields. */
    public RequestTotal {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(day, "day");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(statusClass, "statusClass");
    }

    /** {@code 200} → {@code 2xx}; {@code 499} → {@code 4xx}. */
    static String statusClass(int status) {
        return switch (status / 100) {
            case 1 -> "1xx";
            case 2 -> "2xx";
            case 3 -> "3xx";
            case 4 -> "4xx";
            case 5 -> "5xx";
            default -> "other";
        };
    }

    /**
     * Sums request records into one increment per (key, UTC day, endpoint, model, route, status class), in first-seen
     * order, so a metering batch is one upsert per totals row.
     */
    static List<RequestTotal> aggregate(Collection<RequestRecord> records) {
        Map<Key, RequestTotal> totals = new LinkedHashMap<>();
        for (RequestRecord r : records) {
            LocalDate day = LocalDate.ofInstant(r.createdAt(), ZoneOffset.UTC);
            String statusClass = statusClass(r.status());
            RequestTotal one = new RequestTotal(r.keyId(), day, r.endpoint(), r.model(), r.route(), statusClass, 1,
                    r.promptTokens(), r.completionTokens(), r.totalTokens(), r.costMicros());
            totals.merge(new Key(r.keyId(), day, r.endpoint(), r.model(), r.route(), statusClass), one,
                    RequestTotal::plus);
        }
        return List.copyOf(totals.values());
    }

    private RequestTotal plus(RequestTotal other) {
        return new RequestTotal(keyId, day, endpoint, model, route, statusClass, requests + other.requests,
                promptTokens + other.promptTokens, completionTokens + other.completionTokens,
                totalTokens + other.totalTokens, costMicros + other.costMicros);
    }

    private record Key(String keyId, LocalDate day, String endpoint, String model, String route, String statusClass) {
    }
}
