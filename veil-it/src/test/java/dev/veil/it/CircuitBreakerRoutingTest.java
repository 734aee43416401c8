package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A failing route is taken out by its circuit breaker, refused fast without contacting it, and probed back. */
class CircuitBreakerRoutingTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dataDir;

    @Test
    @Timeout(30)
    void failingRouteIsTakenOutAndProbedBack() throws Exception {
        try (GatewayFixture fixture = GatewayFixture.start(dataDir, 2_000,
                "routing: {breaker_failures: 3, breaker_open_ms: 400, backoff_ms: 1}\n")) {
            fixture.upstream.error(500, "{}");
            for (int i = 0; i < 3; i++) {
                assertThat(fixture.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(502);
            }
            assertThat(fixture.upstream.requests()).hasSize(3);

            HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT);
            assertThat(out.statusCode()).isEqualTo(503);
            assertThat(new ObjectMapper().readTree(out.body()).path("error").path("code").asText()).isEqualTo("no_healthy_route");
            assertThat(out.body()).contains("circuit_open");
            assertThat(fixture.upstream.requests()).as("an open breaker keeps requests away").hasSize(3);

            fixture.upstream.mode(FakeUpstream.Mode.OK);
            Thread.sleep(450);
            assertThat(fixture.post("/v1/chat/completions", CHAT).statusCode()).as("the probe").isEqualTo(200);
            assertThat(fixture.post("/v1/chat/completions", CHAT).statusCode()).isEqualTo(200);
            assertThat(fixture.upstream.requests()).hasSize(5);
        }
    }
}
