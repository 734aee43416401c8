package dev.veil.gateway.limits;

import dev.veil.protocol.OpenAiError;
import java.util.Map;

/**
 * Whether a key may make a request now, and the {@code x-ratelimit-*} headers to send either way.
 *
 * @param refusal the 429 to answer with, or {@code null} when admitted
 * @param headers rate-limit headers in OpenAI's style (empty when the key has no rate limits)
 */
public record Admission(OpenAiError refusal, Map<String, String> headers) {

    public boolean admitted() {
        return refusal == null;
    }
}
