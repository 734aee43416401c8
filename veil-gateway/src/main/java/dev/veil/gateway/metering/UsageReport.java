package dev.veil.gateway.metering;

import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.RequestLogMode;
import dev.veil.store.LedgerEntry;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * {@code GET /v1/usage}: a key's own daily usage from the ledger, and what Veil's request log keeps about the key's
 * requests ({@code request_log}: its mode, the finest time kept and for how many days). Dates are UTC days; the range
 * defaults to the last 30 days and may span at most 366.
 */
public final class UsageReport {

    static final int DEFAULT_DAYS = 30;
    static final int MAX_DAYS = 366;
    static final LocalDate EARLIEST = LocalDate.of(1970, 1, 1);
    static final LocalDate LATEST = LocalDate.of(9999, 12, 31);

    private final JsonWriter json;

    public UsageReport(JsonWriter json) {
        this.json = json;
    }

    /** The requested date range. */
    public record Range(LocalDate from, LocalDate to) {
    }

    /** Parses {@code start_date} and {@code end_date} (ISO {@code yyyy-MM-dd}), naming the bad one. */
    public Range range(String startDate, String endDate, LocalDate today) throws InvalidRequestException {
        LocalDate to = endDate == null ? today : parse(endDate, "end_date");
        LocalDate from = startDate == null ? to.minusDays(DEFAULT_DAYS - 1) : parse(startDate, "start_date");
        if (from.isAfter(to)) {
            throw new InvalidRequestException(OpenAiError.invalidRequest(
                    "start_date must not be after end_date.", "start_date", "invalid_value"));
        }
        if (from.plusDays(MAX_DAYS).isBefore(to)) {
            throw new InvalidRequestException(OpenAiError.invalidRequest(
                    "The range may span at most " + MAX_DAYS + " days.", "start_date", "invalid_value"));
        }
        return new Range(from, to);
    }

    /**
     * The report body for {@code keyId}.
     *
     * @param logMode       what the request log keeps of the key's requests
     * @param retentionDays for how many days it keeps it
     */
    public byte[] write(String keyId, Range range, List<LedgerEntry> entries, RequestLogMode logMode,
                        int retentionDays) {
        return json.write(g -> {
            long requests = 0;
            long prompt = 0;
            long completion = 0;
            long cost = 0;
            g.writeStartObject();
            g.writeStringField("object", "usage");
            g.writeStringField("key_id", keyId);
            g.writeStringField("start_date", range.from().toString());
            g.writeStringField("end_date", range.to().toString());
            g.writeArrayFieldStart("data");
            for (LedgerEntry e : entries) {
                g.writeStartObject();
                g.writeStringField("date", e.day().toString());
                g.writeStringField("model", e.model());
                g.writeNumberField("requests", e.requests());
                g.writeNumberField("prompt_tokens", e.promptTokens());
                g.writeNumberField("completion_tokens", e.completionTokens());
                g.writeNumberField("total_tokens", e.promptTokens() + e.completionTokens());
                g.writeNumberField("cost_usd", e.costMicros() / 1_000_000.0);
                g.writeEndObject();
                requests += e.requests();
                prompt += e.promptTokens();
                completion += e.completionTokens();
                cost += e.costMicros();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("totals");
            g.writeNumberField("requests", requests);
            g.writeNumberField("prompt_tokens", prompt);
            g.writeNumberField("completion_tokens", completion);
            g.writeNumberField("total_tokens", prompt + completion);
            g.writeNumberField("cost_usd", cost / 1_000_000.0);
            g.writeEndObject();
            g.writeObjectFieldStart("request_log");
            g.writeStringField("mode", logMode.wireName());
            g.writeStringField("time", logMode.timeName());
            g.writeNumberField("retention_days", retentionDays);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static LocalDate parse(String value, String param) throws InvalidRequestException {
        LocalDate date;
        try {
            date = LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException(OpenAiError.invalidRequest(
                    param + " must be a date written as yyyy-MM-dd.", param, "invalid_value"));
        }
        // Four-digit years only: the range arithmetic below stays far from LocalDate's limits (year 999999999).
        if (date.isBefore(EARLIEST) || date.isAfter(LATEST)) {
            throw new InvalidRequestException(OpenAiError.invalidRequest(
                    param + " must be a date between " + EARLIEST + " and " + LATEST + ".", param, "invalid_value"));
        }
        return date;
    }
}
