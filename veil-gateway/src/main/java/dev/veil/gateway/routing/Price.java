package dev.veil.gateway.routing;

import dev.veil.gateway.openai.Usage;

/** A route's price in US dollars per million tokens. */
public record Price(double inputPerMillion, double outputPerMillion) {
    public static final Price FREE = new Price(0, 0);

    /**
     * The cost of {@code usage} in micro-dollars (millionths of a dollar). A price per million tokens is exactly the
     * price per token in micro-dollars, so no scaling is needed.
     */
    public long costMicros(Usage usage) {
        return Math.round(usage.promptTokens() * inputPerMillion + usage.completionTokens() * outputPerMillion);
    }
}
