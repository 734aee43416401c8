package dev.veil.tokens;

/**
 * Counts the tokens of a text that arrives in pieces (the deltas of a stream) without keeping it: pieces are gathered
 * in a small carry buffer and counted whenever it holds at least {@value #COUNT_AT} characters, up to the last place
 * where the encoding's pre-tokenizer must split anyway (a space between a letter or digit and a letter). So the count
 * equals the count of the whole text joined, while at most about two thousand characters are held, and each piece
 * costs amortised constant work. A run of {@value #FORCE_AT} characters with no such place is counted as it is (a split there may
 * differ from the whole text's by a token). A single piece longer than {@value #MAX_EXACT_PIECE} characters (a hostile or
 * unusual upstream's giant delta) is estimated from its UTF-8 length instead, so that no piece costs an event loop more
 * than a few milliseconds. Not thread-safe: one answer.
 */
public final class TextTally {

    /** Count the carry once it holds this many characters. */
    static final int COUNT_AT = 256;
    /**
     * Past this many characters without a safe split (code, CJK text, a long run), count the carry whole. BPE on one
     * long pre-token costs up to about 1.5 µs a character, so this bounds one count to a millisecond or two.
     */
    static final int FORCE_AT = 1024;
    /**
     * A piece longer than this is estimated from its bytes rather than encoded, for the same bound. Models stream a
     * token or a few per delta; only an unusual or hostile upstream sends more.
     */
    static final int MAX_EXACT_PIECE = 1024;

    private final Tokenizer tokenizer;
    private final StringBuilder carry = new StringBuilder();
    private long tokens;
    private long bytes;

    public TextTally(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Adds the next piece of text. */
    public void add(String piece) {
        if (piece.isEmpty()) {
            return;
        }
        if (!tokenizer.encodes() || piece.length() > MAX_EXACT_PIECE) {
            // The estimate is over the whole text's bytes: no carry needed.
            bytes += Tokenizer.utf8Length(piece);
            return;
        }
        carry.append(piece);
        if (carry.length() >= COUNT_AT) {
            countUpToSafeSplit();
        }
    }

    /** The tokens of all text added so far. */
    public long tokens() {
        if (carry.length() > 0) {
            tokens += tokenizer.count(carry.toString());
            carry.setLength(0);
        }
        return tokens + Tokenizer.estimate(bytes);
    }

    /** Characters held right now (bounded by {@value #FORCE_AT} plus one piece). */
    int carried() {
        return carry.length();
    }

    private void countUpToSafeSplit() {
        int split = lastSafeSplit(carry);
        if (split <= 0) {
            if (carry.length() < FORCE_AT) {
                return;
            }
            split = carry.length();
            if (Character.isHighSurrogate(carry.charAt(split - 1))) {
                split--;
            }
        }
        tokens += tokenizer.count(carry.substring(0, split));
        carry.delete(0, split);
    }

    /**
     * The last index {@code i} where {@code text[i]} is a space between a letter or digit and a letter: OpenAI's
     * pre-tokenizers (cl100k_base, o200k_base and the older ones) end every piece there, and start the next one with the
     * space, so counting {@code [0, i)} and {@code [i, end)} apart gives the whole text's count. -1 when there is none.
     */
    static int lastSafeSplit(CharSequence text) {
        for (int i = text.length() - 2; i > 0; i--) {
            if (text.charAt(i) == ' ' && Character.isLetter(text.charAt(i + 1))
                    && Character.isLetterOrDigit(text.charAt(i - 1))) {
                return i;
            }
        }
        return -1;
    }
}
