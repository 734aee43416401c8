package dev.veil.gateway.openai;

/** Token counts as an upstream reports them. */
public record Usage(long promptTokens, long completionTokens, long totalTokens) {
    public static final Usage NONE = new Usage(0, 0, 0);
}
