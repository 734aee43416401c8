package dev.veil.gateway.openai;

/**
 * Token counts of one request. {@link UsageReader} accepts each count only in {@code 0..}{@link #MAX_TOKENS}, so sums
 * of them cannot overflow.
 *
 * @param estimated true when Veil counted the tokens itself because the upstream reported none (see
 *                  {@code dev.veil.tokens.Tokenizer}); false when they are the upstream's own figures
 */
public record Usage(long promptTokens, long completionTokens, long totalTokens, boolean estimated) {
    public static final Usage NONE = new Usage(0, 0, 0);
    /** The largest token count accepted from an upstream: 2^31 - 1, far above any model's context. */
    public static final long MAX_TOKENS = Integer.MAX_VALUE;

    /** Counts as an upstream reported them. */
    public Usage(long promptTokens, long completionTokens, long totalTokens) {
        this(promptTokens, completionTokens, totalTokens, false);
    }

    /** Counts Veil made itself, each capped at {@link #MAX_TOKENS}. */
    public static Usage estimated(long promptTokens, long completionTokens) {
        long prompt = Math.min(promptTokens, MAX_TOKENS);
        long completion = Math.min(completionTokens, MAX_TOKENS);
        return new Usage(prompt, completion, prompt + completion, true);
    }
}
