package dev.veil.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TextTallyTest {

    private static final String TEXT = """
            The quick brown fox jumps over the lazy dog. It's 12345 steps, isn't it? Numbers like 3.14159 and \
            2026-12-02 split in threes; CamelCaseWords and snake_case_words too.
              Indented lines, tabs\tand "quotes" (parentheses) [brackets] {braces} — dashes, ellipses…
            Unicode: naïve café, Straße, 東京は晴れです, emoji 😀👍, Ελληνικά κείμενα.
            def count(text): return len(enc.encode(text))  # code, too
            """;

    @Test
    void piecesCountAsTheWholeText() {
        Tokenizer o200k = Tokenizer.named("o200k_base").orElseThrow();
        Tokenizer cl100k = Tokenizer.named("cl100k_base").orElseThrow();
        String text = TEXT.repeat(20);
        Random random = new Random(12);
        for (Tokenizer tokenizer : new Tokenizer[] {o200k, cl100k}) {
            for (int round = 0; round < 5; round++) {
                TextTally tally = new TextTally(tokenizer);
                int at = 0;
                int maxCarried = 0;
                while (at < text.length()) {
                    int end = Math.min(text.length(), at + 1 + random.nextInt(12));
                    if (Character.isHighSurrogate(text.charAt(end - 1)) && end < text.length()) {
                        end++;
                    }
                    tally.add(text.substring(at, end));
                    maxCarried = Math.max(maxCarried, tally.carried());
                    at = end;
                }
                assertThat(tally.tokens()).as(tokenizer.name()).isEqualTo(tokenizer.count(text));
                assertThat(maxCarried).isLessThan(TextTally.COUNT_AT + 16);
            }
        }
    }

    @Test
    void aLongRunWithoutSpacesIsCountedWithBoundedCarry() {
        Tokenizer o200k = Tokenizer.named("o200k_base").orElseThrow();
        TextTally tally = new TextTally(o200k);
        String run = "x".repeat(10);
        int maxCarried = 0;
        for (int i = 0; i < 2000; i++) {
            tally.add(run);
            maxCarried = Math.max(maxCarried, tally.carried());
        }
        assertThat(maxCarried).isLessThanOrEqualTo(TextTally.FORCE_AT + run.length());
        long whole = o200k.count("x".repeat(20_000));
        // Each forced cut may split a token: at most one more (or fewer) per cut.
        long cuts = 20_000 / TextTally.FORCE_AT + 1;
        assertThat(tally.tokens()).isBetween(whole - cuts, whole + 2 * cuts);
    }

    @Test
    void aGiantPieceIsEstimatedFromItsBytesSoNoPieceCostsMuch() {
        TextTally tally = new TextTally(Tokenizer.named("o200k_base").orElseThrow());
        tally.add("hello");
        tally.add("y".repeat(TextTally.MAX_EXACT_PIECE + 4));
        assertThat(tally.carried()).isEqualTo(5);
        assertThat(tally.tokens()).isEqualTo(1 + (TextTally.MAX_EXACT_PIECE + 4) / 4);
    }

    @Test
    void theEstimateCountsTheWholeTextsBytes() {
        TextTally tally = new TextTally(Tokenizer.ESTIMATE);
        tally.add("ab");
        tally.add("c");
        tally.add("de");
        assertThat(tally.tokens()).isEqualTo(2);
        assertThat(tally.carried()).isZero();
    }

    @Test
    void tokensCanBeReadMoreThanOnce() {
        TextTally tally = new TextTally(Tokenizer.named("cl100k_base").orElseThrow());
        tally.add("hello");
        assertThat(tally.tokens()).isEqualTo(1);
        tally.add(" world");
        assertThat(tally.tokens()).isEqualTo(2);
    }
}
