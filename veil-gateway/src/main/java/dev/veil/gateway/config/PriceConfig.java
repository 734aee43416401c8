package dev.veil.gateway.config;

/**
 * A route's price in USD per one million tokens.
 *
 * @param inputPerMillion  per million prompt (input) tokens, at least 0; default 0
 * @param outputPerMillion per million completion (output) tokens, at least 0; default 0
 */
public record PriceConfig(double inputPerMillion, double outputPerMillion) {

    /** Free. */
    public static final PriceConfig ZERO = new PriceConfig(0, 0);
}
