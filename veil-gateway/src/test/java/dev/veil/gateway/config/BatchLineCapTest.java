package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BatchLineCapTest {

    @Test
    void theLineCapIsTheSmallerOfItsOwnSettingAndTheServersBodyLimit() {
        BatchConfig defaults = BatchConfig.defaults();
        assertThat(defaults.maxLineBytes()).isEqualTo(8L * 1024 * 1024);
        assertThat(defaults.effectiveMaxLineBytes(16L * 1024 * 1024)).isEqualTo(8 * 1024 * 1024);
        assertThat(defaults.effectiveMaxLineBytes(65_536)).isEqualTo(65_536);
        assertThat(defaults.downloadIdleTimeoutMs()).isEqualTo(60_000);
    }
}
