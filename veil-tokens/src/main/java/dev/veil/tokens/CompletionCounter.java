package dev.veil.tokens;

import com.fasterxml.jackson.core.JsonFactory;

/**
 * Counts the completion tokens of one answer from its generated text ({@link GeneratedText}): a whole answer at once,
 * or a stream event by event. For a stream it also remembers the first chunk's {@code id}, {@code created} and
 * {@code model}. Keeps no text beyond {@link TextTally}'s small carry. Not thread-safe: one answer.
 */
public final class CompletionCounter {

    private final GeneratedText reader;
    private final TextTally tally;
    private GeneratedText.Identity identity = GeneratedText.Identity.NONE;

    public CompletionCounter(JsonFactory json, Tokenizer tokenizer) {
        this.reader = new GeneratedText(json);
        this.tally = new TextTally(tokenizer);
    }

    /** Counts the text of one JSON document: a stream event's data, or a whole answer. */
    public void accept(byte[] document, int offset, int length) {
        GeneratedText.Identity seen = reader.read(document, offset, length, tally::add);
        if (identity.id() == null && seen.id() != null) {
            identity = seen;
        }
    }

    /** The completion tokens of everything accepted so far. */
    public long tokens() {
        return tally.tokens();
    }

    /** The first identified chunk's {@code id}, {@code created} and {@code model}; {@link GeneratedText.Identity#NONE} before. */
    public GeneratedText.Identity identity() {
        return identity;
    }
}
