package dev.veil.gateway.limits;

import dev.veil.protocol.OpenAiError;
import java.util.Map;

/**
 * Whether a key may make a request now, and the {@code x-ratelimit-*} headers to send either way.
 *
 * @param refusal the 429 (or 503 when the shared limiter cannot be reached) to answer with, or {@code null} when
 *                admitted
 * @param headers rate-limit headers in OpenAI's style (empty when the key has no rate limits)
 * @param lease   the in-flight slot the admitted request holds under the key's {@code max_concurrent}; released when
 *                the request completes ({@link Lease#NONE} when nothing is held)
 */
public record Admission(OpenAiError refusal, Map<String, String> headers, Lease lease) {

    public Admission {
        lease = lease == null ? Lease.NONE : lease;
    }

    /** An admission or refusal that holds no in-flight slot. */
    public Admission(OpenAiError refusal, Map<String, String> headers) {
        this(refusal, headers, Lease.NONE);
    }

    public boolean admitted() {
        return refusal == null;
    }
}
