package dev.veil.store;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Usage totals for one key, UTC day and model; also used as an increment to add to those totals.
 *
 * @param keyId            the API key id
 * @param day              the UTC day
 * @param model            the public model id
 * @param requests         number of requests
 * @param promptTokens     prompt tokens
 * @param completionTokens completion tokens
 * @param costMicros       cost in millionths of a US dollar
 */
public record LedgerEntry(String keyId, LocalDate day, String model, long requests, long promptTokens,
                          long completionTokens, long costMicros) {

    /** Rejects missing key fields. */
    public LedgerEntry {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(day, "day");
        Objects.requireNonNull(model, "model");
    }

    /**
     * Sums request records into one increment per (key, UTC day of {@code createdAt}, model), in first-seen order.
     * Aggregating before the upsert keeps a batch to one statement per ledger row.
     */
    public static List<LedgerEntry> aggregate(Collection<RequestRecord> records) {
        Map<Key, LedgerEntry> totals = new LinkedHashMap<>();
        for (RequestRecord r : records) {
            LocalDate day = LocalDate.ofInstant(r.createdAt(), ZoneOffset.UTC);
            LedgerEntry one = new LedgerEntry(r.keyId(), day, r.model(), 1, r.promptTokens(), r.completionTokens(),
                    r.costMicros());
            totals.merge(new Key(r.keyId(), day, r.model()), one, LedgerEntry::plus);
        }
        return List.copyOf(totals.values());
    }

    /** The sum of this entry and {@code other}, which must have the same key, day and model. */
    public LedgerEntry plus(LedgerEntry other) {
        if (!keyId.equals(other.keyId) || !day.equals(other.day) || !model.equals(other.model)) {
            throw new IllegalArgumentException("can only add ledger entries for the same key, day and model");
        }
        return new LedgerEntry(keyId, day, model, requests + other.requests, promptTokens + other.promptTokens,
                completionTokens + other.completionTokens, costMicros + other.costMicros);
    }

    private record Key(String keyId, LocalDate day, String model) {
    }
}
