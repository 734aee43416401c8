package dev.veil.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenizerTest {

    @Test
    void countsAsOpenAiEncodingsDo() {
        Tokenizer cl100k = Tokenizer.named("cl100k_base").orElseThrow();
        // The tiktoken README's example: [83, 1609, 5963, 374, 2294, 0].
        assertThat(cl100k.count("tiktoken is great!")).isEqualTo(6);
        assertThat(cl100k.count("hello world")).isEqualTo(2);
        assertThat(Tokenizer.named("o200k_base").orElseThrow().count("hello world")).isEqualTo(2);
        assertThat(cl100k.count("")).isZero();
    }

    @Test
    void specialTokenMarkersCountAsText() {
        Tokenizer o200k = Tokenizer.named("o200k_base").orElseThrow();
        assertThat(o200k.count("<|endoftext|>")).isGreaterThan(1);
    }

    @Test
    void theEstimateIsFourBytesATokenRoundedUp() {
        assertThat(Tokenizer.ESTIMATE.count("abcd")).isEqualTo(1);
        assertThat(Tokenizer.ESTIMATE.count("abcde")).isEqualTo(2);
        // Two bytes each in UTF-8, and one four-byte character.
        assertThat(Tokenizer.ESTIMATE.count("éé")).isEqualTo(1);
        assertThat(Tokenizer.ESTIMATE.count("\uD83D\uDE00a")).isEqualTo(2);
        assertThat(Tokenizer.ESTIMATE.encodes()).isFalse();
    }

    @Test
    void namesAreTheEncodingsAndNone() {
        assertThat(Tokenizer.named("O200K_BASE")).map(Tokenizer::name).contains("o200k_base");
        assertThat(Tokenizer.named("none")).contains(Tokenizer.ESTIMATE);
        assertThat(Tokenizer.named("llama3")).isEmpty();
        assertThat(Tokenizer.named(null)).isEmpty();
        assertThat(Tokenizer.acceptedNames()).contains("o200k_base", "cl100k_base", "none");
    }

    @Test
    void theDefaultFollowsTheModelName() {
        assertThat(Tokenizer.forModel("gpt-4o").name()).isEqualTo("o200k_base");
        assertThat(Tokenizer.forModel("gpt-4o-mini").name()).isEqualTo("o200k_base");
        assertThat(Tokenizer.forModel("gpt-4").name()).isEqualTo("cl100k_base");
        assertThat(Tokenizer.forModel("gpt-3.5-turbo").name()).isEqualTo("cl100k_base");
        assertThat(Tokenizer.forModel("gpt-4o-2024-08-06").name()).isEqualTo("o200k_base");
        assertThat(Tokenizer.forModel("GPT-4-0613").name()).isEqualTo("cl100k_base");
        assertThat(Tokenizer.forModel("openai/gpt-4.1-mini").name()).isEqualTo("o200k_base");
        assertThat(Tokenizer.forModel("o3-mini").name()).isEqualTo("o200k_base");
        assertThat(Tokenizer.forModel("text-embedding-3-small").name()).isEqualTo("cl100k_base");
        assertThat(Tokenizer.forModel("o3x")).isEqualTo(Tokenizer.ESTIMATE);
        assertThat(Tokenizer.named("o200k_base").orElseThrow()).isSameAs(Tokenizer.forModel("gpt-4o"));
        assertThat(Tokenizer.forModel("meta-llama/Llama-3.1-8B-Instruct")).isEqualTo(Tokenizer.ESTIMATE);
        assertThat(Tokenizer.forModel("")).isEqualTo(Tokenizer.ESTIMATE);
    }
}
