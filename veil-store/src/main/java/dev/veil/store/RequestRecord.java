package dev.veil.store;

import dev.veil.protocol.RequestLogMode;
import java.time.Instant;
import java.util.Objects;

/**
 * Metadata about one request. Deliberately has no field for content or for the client's address.
 *
 * <p>{@code logMode} says what the store may keep of it: a {@link RequestLogMode#FULL} record is written as it is; a
 * {@link RequestLogMode#MINUTE} or {@link RequestLogMode#HOUR} record has its {@code createdAt} cut to that unit here,
 * whatever the caller passed, and is written so that its position in the table says nothing about its order of
 * arrival; a {@link RequestLogMode#DAILY_TOTALS} record is never written as a row, only added to the daily totals
 * (its {@code requestId} is not stored).
 *
 * @param requestId        the gateway's request id
 * @param keyId            the id of the API key that made the request
 * @param createdAt        when the request arrived (stored at millisecond precision)
 * @param endpoint         the API path, e.g. {@code /v1/chat/completions}
 * @param model            the public model id the operator configured (or the gateway's placeholder for unknown ones)
 * @param route            the route that served the request; {@code null} when none was chosen
 * @param mode             the privacy mode's wire name; {@code null} when none applied
 * @param status           the HTTP status returned to the caller
 * @param latencyMs        total time to the last byte, in milliseconds
 * @param ttftMs           time to the first token for streams, in milliseconds; {@code null} otherwise
 * @param promptTokens     prompt tokens billed
 * @param completionTokens completion tokens billed
 * @param totalTokens      total tokens billed
 * @param costMicros       cost in millionths of a US dollar
 * @param logMode          what the store keeps of this request (the key's metadata minimisation); {@code null} = full
 * @param usageEstimated   whether the token counts are Veil's own count because the upstream reported none
 */
public record RequestRecord(String requestId, String keyId, Instant createdAt, String endpoint, String model,
                            String route, String mode, int status, long latencyMs, Long ttftMs, long promptTokens,
                            long completionTokens, long totalTokens, long costMicros, RequestLogMode logMode,
                            boolean usageEstimated) {

    /** Rejects missing required fields; cuts {@code createdAt} to a coarse {@code logMode}'s time unit. */
    public RequestRecord {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(model, "model");
        logMode = logMode == null ? RequestLogMode.FULL : logMode;
        if (logMode != RequestLogMode.FULL) {
            createdAt = logMode.truncate(createdAt);
        }
    }

    /** A record kept in full (a row per request, {@code createdAt} as given), with the upstream's own counts. */
    public RequestRecord(String requestId, String keyId, Instant createdAt, String endpoint, String model,
                         String route, String mode, int status, long latencyMs, Long ttftMs, long promptTokens,
                         long completionTokens, long totalTokens, long costMicros) {
        this(requestId, keyId, createdAt, endpoint, model, route, mode, status, latencyMs, ttftMs, promptTokens,
                completionTokens, totalTokens, costMicros, RequestLogMode.FULL, false);
    }

    /** A record with the upstream's own token counts. */
    public RequestRecord(String requestId, String keyId, Instant createdAt, String endpoint, String model,
                         String route, String mode, int status, long latencyMs, Long ttftMs, long promptTokens,
                         long completionTokens, long totalTokens, long costMicros, RequestLogMode logMode) {
        this(requestId, keyId, createdAt, endpoint, model, route, mode, status, latencyMs, ttftMs, promptTokens,
                completionTokens, totalTokens, costMicros, logMode, false);
    }
}
