package dev.veil.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LabelsTest {

    @ParameterizedTest
    @ValueSource(strings = {"ops", "Équipe données", "team 🚀 prod", "a-b_c.d/e", "日本語のキー"})
    void printableLabelsPass(String label) {
        assertThat(Labels.problem(label, 100)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "line\nbreak", "tab\there", "esc\u001b[31m", "del\u007f", "c1\u0085", "ls\u2028",
            "rlo\u202eevil", "iso\u2067x", "\ud800lone", "lone\udc00"})
    void controlFormattingAndBrokenCharactersAreRefused(String label) {
        assertThat(Labels.problem(label, 100)).isNotNull().doesNotContain(label);
    }

    @Test
    void emptyAndOverlongLabelsAreRefused() {
        assertThat(Labels.problem(" ", 100)).isEqualTo("must not be empty");
        assertThat(Labels.problem("x".repeat(101), 100)).isEqualTo("must be at most 100 characters");
        assertThat(Labels.problem("x".repeat(100), 100)).isNull();
    }

    @Test
    void policyEntriesGetTheSameCheck() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KeyPolicyJson.read("{\"allowed_models\":[\"ok\",\"bad\\u0000\"]}"))
                .isInstanceOfSatisfying(KeyPolicyJson.InvalidPolicyException.class, e -> {
                    assertThat(e.field()).isEqualTo("policy.allowed_models[1]");
                    assertThat(e.code()).isEqualTo("invalid_value");
                });
    }
}
