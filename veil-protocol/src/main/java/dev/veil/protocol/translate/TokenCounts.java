package dev.veil.protocol.translate;

/**
 * The token counts a translated answer reports in its {@code usage}: the upstream's own, or the counts Veil (or a
 * node) made when the upstream reported none.
 *
 * @param input  prompt tokens ({@code input_tokens})
 * @param output generated tokens ({@code output_tokens})
 */
public record TokenCounts(long input, long output) {

    /** {@code total_tokens}. */
    public long total() {
        return input + output;
    }
}
