package dev.veil.gateway.limits;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.OpenAiError;
import java.util.Locale;
import java.util.Map;

/** The refusals and headers of the rate and concurrency limits, the same whichever limiter counted them. */
final class LimitReplies {

    /** RFC 9110 §10.2.3: whole seconds; clients (the OpenAI SDKs among them) wait this long before retrying. */
    static final String RETRY_AFTER = "retry-after";

    private LimitReplies() {
    }

    static OpenAiError requests(KeyPolicy policy, long retryMillis) {
        return new OpenAiError(429, "Rate limit reached for requests: this key may make " + policy.rpm()
                + " requests per minute. Retry after " + duration(retryMillis) + ".", OpenAiError.RATE_LIMIT, null,
                "rate_limit_exceeded");
    }

    static OpenAiError tokens(KeyPolicy policy, long retryMillis) {
        return new OpenAiError(429, "Rate limit reached for tokens: this key may use " + policy.tpm()
                + " tokens per minute. Retry after " + duration(retryMillis) + ".", OpenAiError.RATE_LIMIT, null,
                "rate_limit_exceeded");
    }

    static OpenAiError concurrency(KeyPolicy policy) {
        return new OpenAiError(429, "Too many concurrent requests: this key may have " + policy.maxConcurrent()
                + " requests in flight at once. Retry when one of them has finished.", OpenAiError.RATE_LIMIT, null,
                "concurrency_limit_exceeded");
    }

    /** The shared limiter could not be reached and the deployment fails closed (redis.fail_mode). */
    static OpenAiError unavailable() {
        return new OpenAiError(503, "The gateway cannot reach its shared rate limiter right now, and this key has rate "
                + "limits; retry shortly.", OpenAiError.SERVER, null, "rate_limiter_unavailable");
    }

    static void retryAfter(Map<String, String> headers, long millis) {
        headers.put(RETRY_AFTER, retryAfterSeconds(millis));
    }

    /** {@code millis} rounded up to whole seconds, at least 1. */
    static String retryAfterSeconds(long millis) {
        return Long.toString(Math.max(1, (millis + 999) / 1000));
    }

    /** OpenAI-style durations: {@code 250ms}, {@code 1.5s}, {@code 2m3s}. */
    static String duration(long millis) {
        if (millis < 1_000) {
            return Math.max(0, millis) + "ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1fs", millis / 1000.0).replace(".0s", "s");
        }
        return (millis / 60_000) + "m" + ((millis % 60_000) / 1000) + "s";
    }
}
