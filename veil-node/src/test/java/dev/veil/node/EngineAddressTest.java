package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EngineAddressTest {

    @Test
    void loopbackAddressesAreAccepted() {
        for (String url : new String[]{"http://127.0.0.1:8000/v1", "http://localhost:8000/v1/", "http://[::1]:8000/v1",
                "http://127.9.8.7/v1", "https://LOCALHOST/v1"}) {
            assertThat(EngineAddress.parse(url, false).host()).as(url).isNotBlank();
        }
    }

    @Test
    void remoteHostsAreRefusedWithoutTheFlag() {
        for (String url : new String[]{"http://10.0.0.5:8000/v1", "http://0.0.0.0:8000/v1", "http://engine.internal/v1",
                "http://localhost.evil.example/v1", "http://[2001:db8::1]:8000/v1", "http://128.0.0.1/v1"}) {
            assertThatThrownBy(() -> EngineAddress.parse(url, false)).as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a loopback address");
            assertThat(EngineAddress.parse(url, true).host()).isNotBlank();
        }
    }

    @Test
    void badUrlsAreRefused() {
        assertThatThrownBy(() -> EngineAddress.parse("ftp://127.0.0.1/v1", false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EngineAddress.parse("127.0.0.1:8000", false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathsAreMappedUnderTheBasePath() {
        EngineAddress engine = EngineAddress.parse("http://127.0.0.1:8000/v1/", false);

        assertThat(engine.port()).isEqualTo(8000);
        assertThat(engine.ssl()).isFalse();
        assertThat(engine.uriFor("/v1/chat/completions")).isEqualTo("/v1/chat/completions");
        assertThat(EngineAddress.parse("https://localhost/openai/v1", false).uriFor("/v1/embeddings"))
                .isEqualTo("/openai/v1/embeddings");
        assertThat(EngineAddress.parse("https://localhost", false).port()).isEqualTo(443);
    }
}
