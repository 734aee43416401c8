package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.store.RequestRecord;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay's promises over real HTTP against the recording fake upstream: identity never leaves, streams pass event
 * by event with backpressure, a client that leaves cancels the upstream, upstream failures end streams with an error
 * event, never a hang, and each request is metered without content.
 */
@Timeout(60)
class RelayBehaviourTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]";

    @TempDir
    static Path dataDir;
    static GatewayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.start(dataDir, 1_000);
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
    void callerIdentityNeverReachesTheUpstream() throws Exception {
        HttpResponse<String> response = fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + fixture.apiKey)
                .header("content-type", "application/json")
                .header("cookie", "session=abc")
                .header("x-forwarded-for", "203.0.113.7")
                .header("x-real-ip", "203.0.113.7")
                .header("forwarded", "for=203.0.113.7")
                .header("true-client-ip", "203.0.113.7")
                .header("openai-organization", "org-caller")
                .header("openai-project", "proj-caller")
                .header("user-agent", "CallerApp/1.0 (Linux; caller-host)")
                .header("x-stainless-os", "Linux")
                .header("x-custom-tracking", "tracking-id-1")
                .POST(HttpRequest.BodyPublishers.ofString(CHAT + ",\"user\":\"alice@example.com\",\"safety_identifier\":\"u-1\"}")));
        assertThat(response.statusCode()).isEqualTo(200);

        FakeUpstream.Recorded seen = fixture.upstream.lastRequest();
        assertThat(seen.headers().get("authorization")).containsExactly("Bearer " + GatewayFixture.UPSTREAM_SECRET);
        assertThat(seen.headers().keySet()).map(String::toLowerCase)
                .doesNotContain("cookie", "x-forwarded-for", "x-real-ip", "forwarded", "true-client-ip",
                        "openai-organization", "openai-project", "x-stainless-os", "x-custom-tracking", "user-agent");
        // Only what Veil itself sets reaches the upstream.
        assertThat(seen.headers().keySet()).map(String::toLowerCase)
                .allMatch(h -> List.of("authorization", "content-type", "accept", "host", "content-length").contains(h));
        for (List<String> values : seen.headers().values()) {
            assertThat(String.join(",", values)).doesNotContain(fixture.apiKey, "203.0.113.7", "alice");
        }
        JsonNode body = seen.json();
        assertThat(body.has("user")).isFalse();
        assertThat(body.has("safety_identifier")).isFalse();
        assertThat(body.get("model").asText()).isEqualTo("upstream-chat");
        assertThat(seen.body()).doesNotContain("alice@example.com");
    }

    @Test
    void streamEndsWithDoneAndUsageIsAskedForButStrippedWhenNotWanted() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        assertThat(response.headers().firstValue("x-veil-route")).contains("fake-zdr");
        assertThat(response.headers().firstValue("x-veil-privacy-mode")).contains("private");
        assertThat(response.body()).contains("data: [DONE]\n\n: veil-receipt {").doesNotContain("\"prompt_tokens\":");
        assertThat(fixture.upstream.lastRequest().json().path("stream_options").path("include_usage").asBoolean()).isTrue();

        HttpResponse<String> withUsage = fixture.post("/v1/chat/completions",
                CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(withUsage.body()).contains("\"prompt_tokens\":11").contains("data: [DONE]\n\n");
    }

    @Test
    void upstreamResetMidStreamEndsTheClientStreamWithAnErrorEvent() {
        fixture.upstream.mode(FakeUpstream.Mode.RESET_MID_STREAM);
        HttpResponse<String> response = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("echo: ").doesNotContain("[DONE]");
        assertThat(lastEvent(response.body())).contains("\"code\":\"upstream_stream_interrupted\"").contains("\"error\"");
    }

    @Test
    void upstreamEndingWithoutDoneIsReportedAsTruncated() {
        fixture.upstream.mode(FakeUpstream.Mode.END_WITHOUT_DONE);
        HttpResponse<String> response = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        assertThat(lastEvent(response.body())).contains("\"code\":\"upstream_stream_truncated\"");
    }

    @Test
    void silentUpstreamTimesOutInsteadOfHanging() throws Exception {
        fixture.upstream.mode(FakeUpstream.Mode.SILENT);
        HttpResponse<String> whole = fixture.post("/v1/chat/completions", CHAT + "}");
        assertThat(whole.statusCode()).isEqualTo(504);
        assertThat(JSON.readTree(whole.body()).path("error").path("code").asText()).isEqualTo("upstream_timeout");
        HttpResponse<String> streamed = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        assertThat(streamed.statusCode()).isEqualTo(504);
    }

    @Test
    void clientThatLeavesCancelsTheUpstreamRequest() throws Exception {
        fixture.upstream.gapMillis(50).extraChunks(200);
        try (Socket socket = rawRequest(CHAT + ",\"stream\":true}")) {
            InputStream in = socket.getInputStream();
            assertThat(in.read(new byte[1024])).isPositive();
        }
        Eventually.await(Duration.ofSeconds(5), "upstream stream cancelled", () -> fixture.upstream.streamsCutByClient() == 1);
        fixture.gateway.flushMetering();
        Eventually.await(Duration.ofSeconds(5), "metered as 499", () -> {
            fixture.gateway.flushMetering();
            return records().stream().anyMatch(r -> r.status() == 499 && r.route().equals("fake-zdr"));
        });
        RequestRecord cut = records().stream().filter(r -> r.status() == 499).findFirst().orElseThrow();
        assertThat(cut.completionTokens()).as("text streamed before the client left is billed").isPositive();
        assertThat(cut.usageEstimated()).as("counted by Veil: the usage chunk never came").isTrue();
        assertThat(cut.promptTokens()).as("the prompt is counted too, not billed as zero").isPositive();
    }

    @Test
    void slowReaderMakesTheGatewayStopReadingTheUpstream() throws Exception {
        fixture.upstream.mode(FakeUpstream.Mode.FIREHOSE);
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(16 * 1024);
            URI origin = URI.create(fixture.origin());
            socket.connect(new java.net.InetSocketAddress(origin.getHost(), origin.getPort()));
            socket.setSoTimeout(20_000);
            writeRequest(socket, CHAT + ",\"stream\":true}");
            InputStream in = socket.getInputStream();
            assertThat(in.read(new byte[1])).isEqualTo(1);
            // Not reading: the gateway must pause the upstream instead of buffering the whole stream.
            Eventually.await(Duration.ofSeconds(10), "upstream paused", () -> fixture.upstream.firehoseBlocked() > 0);
            long total = 1;
            byte[] buffer = new byte[64 * 1024];
            StringBuilder tail = new StringBuilder();
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                tail.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
                if (tail.length() > 8192) {
                    tail.delete(0, tail.length() - 8192);
                }
                if (tail.indexOf(": veil-receipt") >= 0 && tail.toString().endsWith("0\r\n\r\n")) {
                    break;
                }
            }
            assertThat(tail.toString()).contains("data: [DONE]");
            assertThat(total).isGreaterThan((long) FakeUpstream.FIREHOSE_EVENTS * FakeUpstream.FIREHOSE_EVENT_BYTES);
        }
    }

    @Test
    void eachRequestIsMeteredWithMetadataOnly() throws Exception {
        HttpResponse<String> response = fixture.post("/v1/chat/completions", CHAT + "}");
        String requestId = response.headers().firstValue("x-request-id").orElseThrow();
        fixture.gateway.flushMetering();
        RequestRecord record = record(requestId);
        assertThat(record.keyId()).isEqualTo(fixture.keyId);
        assertThat(record.endpoint()).isEqualTo("chat.completions");
        assertThat(record.model()).isEqualTo("test-chat");
        assertThat(record.route()).isEqualTo("fake-zdr");
        assertThat(record.mode()).isEqualTo("private");
        assertThat(record.status()).isEqualTo(200);
        assertThat(record.promptTokens()).isEqualTo(11);
        assertThat(record.completionTokens()).isEqualTo(3);
        assertThat(record.costMicros()).as("11 x $1/M + 3 x $2/M").isEqualTo(17);

        HttpResponse<String> stream = fixture.post("/v1/chat/completions", CHAT + ",\"stream\":true}");
        fixture.gateway.flushMetering();
        RequestRecord streamed = record(stream.headers().firstValue("x-request-id").orElseThrow());
        assertThat(streamed.ttftMs()).isNotNull();
        assertThat(streamed.promptTokens()).as("usage from the final usage chunk").isEqualTo(11);

        JsonNode usage = JSON.readTree(fixture.get("/v1/usage").body());
        assertThat(usage.path("key_id").asText()).isEqualTo(fixture.keyId);
        assertThat(usage.path("totals").path("requests").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(usage.path("totals").path("prompt_tokens").asLong()).isGreaterThanOrEqualTo(22);
    }

    @Test
    void everyResponseCarriesARequestIdAndErrorsAreOpenAiShaped() throws Exception {
        Map<String, HttpResponse<String>> responses = Map.of(
                "unknown path", fixture.get("/v1/nothing"),
                "no key", fixture.send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/models")).GET()),
                "wrong method", fixture.get("/v1/chat/completions"),
                "too large", fixture.post("/v1/chat/completions", CHAT + ",\"pad\":\"" + "x".repeat(70_000) + "\"}"),
                "unreachable upstream", fixture.post("/v1/chat/completions",
                        "{\"model\":\"test-unreachable\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
        for (var entry : responses.entrySet()) {
            HttpResponse<String> response = entry.getValue();
            assertThat(response.headers().firstValue("x-request-id")).as(entry.getKey()).isPresent();
            JsonNode error = JSON.readTree(response.body()).path("error");
            assertThat(error.path("message").asText()).as(entry.getKey()).isNotBlank();
            assertThat(error.has("type") && error.has("param") && error.has("code")).as(entry.getKey()).isTrue();
            assertThat(response.statusCode()).as(entry.getKey()).isNotEqualTo(500);
        }
        assertThat(responses.get("no key").statusCode()).isEqualTo(401);
        assertThat(responses.get("wrong method").statusCode()).isEqualTo(405);
        assertThat(responses.get("too large").statusCode()).isEqualTo(413);
        assertThat(responses.get("unreachable upstream").statusCode()).isEqualTo(502);
    }

    private static List<RequestRecord> records() {
        return fixture.gateway.store().requests().recentForKey(fixture.keyId, 1_000);
    }

    private static RequestRecord record(String requestId) {
        return records().stream().filter(r -> r.requestId().equals(requestId)).findFirst()
                .orElseThrow(() -> new AssertionError("no request log row for " + requestId));
    }

    private static String lastEvent(String stream) {
        String[] events = stream.trim().split("\n\n");
        return events[events.length - 1];
    }

    private static Socket rawRequest(String body) throws Exception {
        URI origin = URI.create(fixture.origin());
        Socket socket = new Socket(origin.getHost(), origin.getPort());
        socket.setSoTimeout(10_000);
        writeRequest(socket, body);
        return socket;
    }

    private static void writeRequest(Socket socket, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer " + fixture.apiKey
                + "\r\ncontent-type: application/json\r\ncontent-length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    @Test
    void answersNameTheModelTheClientAskedForNotTheUpstreams() throws Exception {
        // The route maps test-chat to the upstream's "upstream-chat", which the fake names in its answers.
        HttpResponse<String> whole = fixture.post("/v1/chat/completions", CHAT + "}");
        assertThat(whole.statusCode()).isEqualTo(200);
        assertThat(fixture.upstream.lastRequest().json().path("model").asText()).isEqualTo("upstream-chat");
        assertThat(JSON.readTree(whole.body()).path("model").asText()).isEqualTo("test-chat");
        HttpResponse<String> stream = fixture.post("/v1/chat/completions",
                CHAT + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).doesNotContain("upstream-chat");
        java.util.List<String> events = CompatSse.dataPayloads(stream.body());
        assertThat(events).hasSizeGreaterThan(2);
        for (String event : events.subList(0, events.size() - 1)) {
            assertThat(JSON.readTree(event).path("model").asText()).as(event).isEqualTo("test-chat");
        }
    }
}
