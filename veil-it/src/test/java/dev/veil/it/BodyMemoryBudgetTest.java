package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code server.body_memory_bytes}: the bodies held at once across all connections share one budget. Here it is two
 * maximum-size request bodies (2 × 64 KiB). Without it, per-body caps multiply: enough concurrent large bodies, or a few
 * upstream answers that never end, exhaust the heap and end the process for every client (the soak run on a starved
 * core did exactly that at -Xmx128m).
 */
@Timeout(60)
class BodyMemoryBudgetTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BUDGET = 2 * 65536;

    @TempDir
    static Path dataDir;
    static GatewayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.withServer(dataDir, 10_000, "  body_memory_bytes: " + BUDGET + "\n");
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @BeforeEach
    void resetUpstream() {
        fixture.upstream.reset();
    }

    @Test
    void aThirdLargeBodyWhileTwoAreHeldGets503WithRetryAfterAndTheBudgetComesBack() throws Exception {
        List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
        fixture.upstream.custom((request, body) -> held.add(request));
        String large = chat("x".repeat(60_000));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> fixture.post("/v1/chat/completions", large));
        CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> fixture.post("/v1/chat/completions", large));
        Eventually.await(Duration.ofSeconds(10), "two large requests held by the upstream", () -> held.size() == 2);

        HttpResponse<String> third = fixture.post("/v1/chat/completions", large);
        assertThat(third.statusCode()).isEqualTo(503);
        assertThat(third.headers().firstValue("retry-after")).hasValue("1");
        assertThat(JSON.readTree(third.body()).path("error").path("code").asText()).isEqualTo("gateway_busy");
        assertThat(held).hasSize(2);

        for (HttpServerRequest request : held) {
            request.response().putHeader("content-type", "application/json").end(answer());
        }
        assertThat(first.get().statusCode()).isEqualTo(200);
        assertThat(second.get().statusCode()).isEqualTo(200);
        // Released when the responses ended: two large bodies fit again, one after the other and together.
        fixture.upstream.reset();
        assertThat(fixture.post("/v1/chat/completions", large).statusCode()).isEqualTo(200);
        assertThat(fixture.post("/v1/chat/completions", large).statusCode()).isEqualTo(200);
    }

    @Test
    void anEndlessAnswerIsCutAtTheWholeBudgetNotTheMuchLargerCap() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        AtomicInteger asked = new AtomicInteger();
        fixture.upstream.custom((request, body) -> {
            asked.incrementAndGet();
            HttpServerResponse response = request.response();
            response.closeHandler(v -> closed.incrementAndGet());
            response.setChunked(true).putHeader("content-type", "application/json");
            response.write("{\"id\":\"x\",\"pad\":\"");
            FakeUpstream.endless(response, Buffer.buffer("x".repeat(16 * 1024)));
        });
        // An answer that alone outgrows the whole budget (128 KiB here, far below the 32 MiB cap) can never be read:
        // it is too large, as an answer past the cap is.
        HttpResponse<String> out = fixture.post("/v1/chat/completions", chat("hi"));
        assertThat(out.statusCode()).isEqualTo(502);
        assertThat(JSON.readTree(out.body()).path("error").path("code").asText()).isEqualTo("upstream_response_too_large");
        assertThat(asked.get()).isBetween(1, 3);
        Eventually.await(Duration.ofSeconds(10), "upstream connections reset", () -> closed.get() == asked.get());

        // What it held was given back: normal answers go through many times over.
        fixture.upstream.reset();
        for (int i = 0; i < 5; i++) {
            assertThat(fixture.post("/v1/chat/completions", chat("hi")).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void anAnswerThatWouldFitAloneWaitsForRoomAs503WhenOtherBodiesHoldTheBudget() throws Exception {
        List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
        String bigAnswer = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"upstream-chat\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + "y".repeat(20_000)
                + "\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
        fixture.upstream.custom((request, body) -> {
            if (body.length() > 50_000) {
                held.add(request);
            } else {
                request.response().putHeader("content-type", "application/json").end(bigAnswer);
            }
        });
        String large = chat("x".repeat(60_000));
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> fixture.post("/v1/chat/completions", large));
        CompletableFuture<HttpResponse<String>> second = CompletableFuture.supplyAsync(() -> fixture.post("/v1/chat/completions", large));
        Eventually.await(Duration.ofSeconds(10), "two large requests held by the upstream", () -> held.size() == 2);

        // About 120 KB of the 128 KiB are held: a 20 KB answer does not fit now, though it would alone.
        HttpResponse<String> squeezed = fixture.post("/v1/chat/completions", chat("hi"));
        assertThat(squeezed.statusCode()).isEqualTo(503);
        assertThat(squeezed.headers().firstValue("retry-after")).hasValue("1");
        assertThat(JSON.readTree(squeezed.body()).path("error").path("code").asText()).isEqualTo("gateway_busy");

        for (HttpServerRequest request : held) {
            request.response().putHeader("content-type", "application/json").end(answer());
        }
        assertThat(first.get().statusCode()).isEqualTo(200);
        assertThat(second.get().statusCode()).isEqualTo(200);
        HttpResponse<String> roomy = fixture.post("/v1/chat/completions", chat("hi"));
        assertThat(roomy.statusCode()).isEqualTo(200);
        assertThat(roomy.body()).contains("y".repeat(20_000));
    }

    private static String chat(String content) {
        return "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}";
    }

    private static String answer() {
        return "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"upstream-chat\",\"choices\":[{\"index\":0,"
                + "\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    }
}
