package dev.veil.protocol.gatewayauth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NonceWindowTest {

    @Test
    void aNonceIsRefusedAgainWhileRemembered() {
        NonceWindow window = new NonceWindow(10, 1_000);
        assertThat(window.firstUse("a", 0)).isEqualTo(NonceWindow.Use.FRESH);
        assertThat(window.firstUse("a", 999)).isEqualTo(NonceWindow.Use.REPLAYED);
        assertThat(window.firstUse("b", 999)).isEqualTo(NonceWindow.Use.FRESH);
        // Up to and including its expiry it is remembered; after it, forgotten (its signature is stale by then).
        assertThat(window.firstUse("a", 1_000)).isEqualTo(NonceWindow.Use.REPLAYED);
        assertThat(window.firstUse("a", 1_001)).isEqualTo(NonceWindow.Use.FRESH);
        assertThat(window.size()).isEqualTo(2);
    }

    @Test
    void aFullWindowRefusesNewNoncesUntilOldOnesExpire() {
        NonceWindow window = new NonceWindow(3, 1_000);
        for (int i = 0; i < 3; i++) {
            assertThat(window.firstUse("n" + i, i)).isEqualTo(NonceWindow.Use.FRESH);
        }
        assertThat(window.firstUse("n3", 500)).isEqualTo(NonceWindow.Use.FULL);
        assertThat(window.firstUse("n0", 500)).isEqualTo(NonceWindow.Use.REPLAYED);
        assertThat(window.firstUse("n3", 1_001)).isEqualTo(NonceWindow.Use.FRESH);
        assertThat(window.size()).isEqualTo(3);
    }
}
