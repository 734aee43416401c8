package dev.veil.store;

import java.time.Instant;
import java.util.Objects;

/**
 * Metadata about one request. Deliberately has no field for content or for the client's address.
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
 * @param usageEstimated   whether the token counts are Veil's own count because the upstream reported none
 */
public record RequestRecord(String requestId, String keyId, Instant createdAt, String endpoint, String model,
                            String route, String mode, int status, long latencyMs, Long ttftMs, long promptTokens,
                            long completionTokens, long totalTokens, long costMicros, boolean usageEstimated) {

    /** Rejects missing required fields. */
    public RequestRecord {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(model, "model");
    }

    /** A record whose token counts are the upstream's own. */
    public RequestRecord(String requestId, String keyId, Instant createdAt, String endpoint, String model, String route,
                         String mode, int status, long latencyMs, Long ttftMs, long promptTokens, long completionTokens,
                         long totalTokens, long costMicros) {
        this(requestId, keyId, createdAt, endpoint, model, route, mode, status, latencyMs, ttftMs, promptTokens,
                completionTokens, totalTokens, costMicros, false);
    }
}
