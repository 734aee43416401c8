package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstreams that misbehave cannot take the gateway down or hold its clients: endless or oversized answers, error
 * bodies and events are cut at their caps, silence mid-answer ends in a timeout, and a 2xx that is not what was asked
 * for becomes a typed 502. Each case would exhaust memory, hang the client or pass garbage on without its fix.
 */
@Timeout(60)
class HostileUpstreamTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
    private static final String STREAM_EVENT = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n";

    @TempDir
    static Path dataDir;
    static GatewayFixture fixture;

    @BeforeAll
    static void start() {
        // A small event cap keeps the oversized-event case quick; the other caps keep their defaults.
        fixture = GatewayFixture.start(dataDir, 1_000, "    max_event_bytes: 65536\n",
                "routing: {breaker_failures: 1000, backoff_ms: 1}\n", java.util.Map.of());
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
    void anEndlessAnswerIsCutAtItsCapAndTheUpstreamConnectionClosed() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        fixture.upstream.custom((request, body) -> {
            HttpServerResponse response = request.response();
            response.closeHandler(v -> closed.incrementAndGet());
            response.setChunked(true).putHeader("content-type", "application/json");
            response.write("{\"id\":\"x\",\"pad\":\"");
            FakeUpstream.endless(response, Buffer.buffer("x".repeat(64 * 1024)));
        });
        HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT + "}");
        assertThat(out.statusCode()).isEqualTo(502);
        assertThat(code(out)).isEqualTo("upstream_response_too_large");
        Eventually.await(java.time.Duration.ofSeconds(10), "upstream connection reset", () -> closed.get() == 1);
        assertThat(fixture.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void anEndlessErrorBodyIsReadOnlyAsFarAsItsPrefix() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        fixture.upstream.custom((request, body) -> {
            HttpServerResponse response = request.response();
            response.closeHandler(v -> closed.incrementAndGet());
            response.setStatusCode(500).setChunked(true).putHeader("content-type", "application/json");
            FakeUpstream.endless(response, Buffer.buffer("e".repeat(64 * 1024)));
        });
        HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT + "}");
        assertThat(out.statusCode()).isEqualTo(502);
        assertThat(code(out)).isEqualTo("upstream_error");
        Eventually.await(java.time.Duration.ofSeconds(10), "upstream connection reset", () -> closed.get() == 1);
    }

    @Test
    void anUpstreamSilentMidStreamEndsTheClientStreamWithATimeout() throws Exception {
        fixture.upstream.custom((request, body) -> request.response().setChunked(true)
                .putHeader("content-type", "text/event-stream").write(STREAM_EVENT + STREAM_EVENT));
        // Without an idle timeout after the head, this waits until the fixture client gives up (20 s) and fails.
        HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        assertThat(out.statusCode()).isEqualTo(200);
        assertThat(out.body()).startsWith(STREAM_EVENT + STREAM_EVENT).doesNotContain("[DONE]");
        assertThat(lastEvent(out.body())).contains("\"code\":\"upstream_timeout\"");
    }

    @Test
    void anUpstreamSilentMidAnswerIsATimeout() throws Exception {
        fixture.upstream.custom((request, body) -> request.response().setChunked(true)
                .putHeader("content-type", "application/json").write("{\"id\":\"x\","));
        HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT + "}");
        assertThat(out.statusCode()).isEqualTo(504);
        assertThat(code(out)).isEqualTo("upstream_timeout");
    }

    @Test
    void anOversizedEventEndsTheClientStreamWithAnError() throws Exception {
        AtomicInteger closed = new AtomicInteger();
        fixture.upstream.custom((request, body) -> {
            HttpServerResponse response = request.response();
            response.closeHandler(v -> closed.incrementAndGet());
            response.setChunked(true).putHeader("content-type", "text/event-stream");
            response.write(STREAM_EVENT + "data: {\"choices\":[{\"delta\":{\"content\":\"");
            FakeUpstream.endless(response, Buffer.buffer("z".repeat(16 * 1024)));
        });
        HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        assertThat(out.statusCode()).isEqualTo(200);
        assertThat(out.body()).startsWith(STREAM_EVENT).doesNotContain("zzzz");
        assertThat(lastEvent(out.body())).contains("\"code\":\"upstream_event_too_large\"");
        Eventually.await(java.time.Duration.ofSeconds(10), "upstream connection reset", () -> closed.get() == 1);
    }

    @Test
    void aSuccessThatIsNotWhatWasAskedForIsATyped502() throws Exception {
        String usage = "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}";
        assertInvalid("text/html", null, "<html><body>Welcome</body></html>", false);
        assertInvalid("application/json", null, "{\"id\":\"x\",\"choices\":[", false);
        assertInvalid("application/json", null, "{\"id\":\"x\"}<html>", false);
        assertInvalid("application/json", "gzip", "{\"id\":\"x\"," + usage + "}", false);
        assertInvalid("application/json", null, "{\"id\":\"x\",\"usage\":{\"prompt_tokens\":9000000000000000000,"
                + "\"completion_tokens\":9000000000000000000}}", false);
        assertInvalid("application/json", null, "{\"id\":\"x\"," + usage + "}", true);
        // The well-formed answer still passes.
        fixture.upstream.reset();
        assertThat(fixture.post("/v1/chat/completions", CHAT + "}").statusCode()).isEqualTo(200);
    }

    private static void assertInvalid(String contentType, String encoding, String answer, boolean stream) throws Exception {
        fixture.upstream.custom((request, body) -> {
            HttpServerResponse response = request.response().putHeader("content-type", contentType);
            if (encoding != null) {
                response.putHeader("content-encoding", encoding);
            }
            response.end(answer);
        });
        HttpResponse<String> out = fixture.post("/v1/chat/completions", CHAT + (stream ? ",\"stream\":true}" : "}"));
        assertThat(out.statusCode()).as(answer).isEqualTo(502);
        assertThat(code(out)).as(answer).isEqualTo("upstream_invalid_response");
        assertThat(out.body()).as("never the upstream's bytes").doesNotContain("Welcome", "9000000000000000000");
    }

    private static String code(HttpResponse<String> response) throws Exception {
        JsonNode error = JSON.readTree(response.body()).path("error");
        return error.path("code").asText();
    }

    private static String lastEvent(String stream) {
        String[] events = stream.trim().split("\n\n");
        return events[events.length - 1];
    }
}
