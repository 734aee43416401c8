package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code veil serve} refuses a bad configuration at start-up, naming each bad field, and never echoing a secret. */
class ServeCommandTest {

    @TempDir
    Path work;

    @Test
    @Timeout(60)
    void invalidConfigurationIsRefusedNamingTheFields() throws Exception {
        Path config = Files.writeString(work.resolve("veil.yaml"), """
                server:
                  port: 70000
                upstreams:
                  - name: hosted
                    base_url: https://api.example.com/v1
                    api_key: sk-inline-secret-value
                models:
                  - id: m
                    routes:
                      - upstream: missing
                """);
        Path out = work.resolve("out.txt");
        try (GatewayProcess process = GatewayProcess.start(List.of(), List.of("serve", "--config", config.toString()),
                Map.of(), out)) {
            assertThat(process.awaitExit(Duration.ofSeconds(30))).isEqualTo(2);
            String output = process.output();
            assertThat(output).contains("server.port").contains("models[0].routes[0].upstream").contains("api_key_env")
                    .doesNotContain("sk-inline-secret-value");
        }
    }

    @Test
    @Timeout(60)
    void theExampleConfigurationStarts() throws Exception {
        Path example = Path.of(System.getProperty("veil.repo"), "veil.example.yaml");
        int port = GatewayProcess.freePort();
        Path out = work.resolve("out.txt");
        try (GatewayProcess process = GatewayProcess.start(List.of(), List.of("serve", "--config", example.toString()),
                Map.of("VEIL_SERVER__PORT", String.valueOf(port), "VEIL_STORE__DATA_DIR", work.resolve("data").toString()),
                out)) {
            process.awaitHealthy(port, Duration.ofSeconds(30));
            assertThat(process.stop()).isIn(0, 143);
        }
    }
}
