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

    /**
     * A burst larger than the upstream's pool and wait queue: the excess is refused with 503 upstream_busy and
     * Retry-After, nothing times out as if the upstream failed, and the breaker (opened by a single counted failure
     * here) stays closed, so the next request is served at once.
     */
    @Test
    @Timeout(60)
    void aBurstPastThePoolIsRefusedAsBusyAndNeverOpensTheBreaker() throws Exception {
        try (GatewayFixture fixture = GatewayFixture.start(dataDir, 5_000,
                "    max_connections: 2\n    max_wait_queue: 2\n    pool_wait_timeout_ms: 200\n",
                "routing: {breaker_failures: 1, breaker_open_ms: 30000, backoff_ms: 1}\n", java.util.Map.of())) {
            fixture.upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(1_500);
            java.util.List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> burst = new java.util.ArrayList<>();
            for (int i = 0; i < 12; i++) {
                burst.add(fixture.http().sendAsync(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create(fixture.origin() + "/v1/chat/completions"))
                        .header("authorization", "Bearer " + fixture.apiKey).header("content-type", "application/json")
                        .timeout(java.time.Duration.ofSeconds(20))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            int ok = 0;
            int busy = 0;
            for (var pending : burst) {
                HttpResponse<String> out = pending.get(30, java.util.concurrent.TimeUnit.SECONDS);
                if (out.statusCode() == 200) {
                    ok++;
                    continue;
                }
                assertThat(out.statusCode()).as(out.body()).isEqualTo(503);
                assertThat(new ObjectMapper().readTree(out.body()).path("error").path("code").asText()).isEqualTo("upstream_busy");
                assertThat(out.headers().firstValue("retry-after")).contains("1");
                busy++;
            }
            assertThat(ok).as("the pool's connections served their requests").isGreaterThanOrEqualTo(2);
            assertThat(busy).as("the excess was refused").isGreaterThanOrEqualTo(1);
            assertThat(fixture.upstream.requests()).hasSize(ok);

            fixture.upstream.mode(FakeUpstream.Mode.OK);
            HttpResponse<String> after = fixture.post("/v1/chat/completions", CHAT);
            assertThat(after.statusCode()).as("the breaker stayed closed: " + after.body()).isEqualTo(200);
        }
    }
}
