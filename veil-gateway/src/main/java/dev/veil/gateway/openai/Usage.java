package dev.veil.gateway.openai;

/**
 * Token counts as an upstream reports them. {@link UsageReader} accepts each count only in {@code 0..}{@link #MAX_TOKENS},
 * so sums of them cannot overflow.
 */
public record Usage(long promptTokens, long completionTokens, long totalTokens) {
    public static final Usage NONE = new Usage(0, 0, 0);
    /** The largest token count accepted from an upstream: 2^31 - 1, far above any model's context. */
    public static final long MAX_TOKENS = Integer.MAX_VALUE;
}
