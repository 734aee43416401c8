package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client-facing HTTP layer under hostile clients, over raw sockets: request-header, request-body and idle
 * timeouts, connections closed after errors that leave input unread, RFC 9112 framing, and every HTTP-layer error in
 * OpenAI's shape. Timeouts are short here (header 600 ms, body 800 ms, idle 6 s) so the test stays fast.
 */
@Timeout(120)
class HttpHardeningTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    static Path dataDir;
    static GatewayFixture fixture;

    @BeforeAll
    static void start() {
        fixture = GatewayFixture.withServer(dataDir, 2_000, """
                  request_header_timeout_ms: 600
                  request_body_timeout_ms: 800
                  idle_timeout_ms: 6000
                  max_request_line_bytes: 1024
                  max_header_bytes: 2048
                  send_timeout_ms: 1500
                """);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @BeforeEach
    void reset() {
        fixture.upstream.reset();
    }

    // ---- timeouts ----

    @Test
    void halfSentHeadersAndSilentConnectionsAreClosed() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket socket = connect();
                if (i % 2 == 0) {
                    socket.getOutputStream().write("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                }
                sockets.add(socket);
            }
            for (Socket socket : sockets) {
                assertThat(readAll(socket)).as("a connection without complete headers gets no answer").isEmpty();
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        assertThat(health()).isEqualTo(200);
    }

    @Test
    void headersTrickledByteByByteStillTimeOut() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            // 200 bytes, one per 20 ms: 4 s, less than the idle timeout (6 s); only the header timeout (600 ms), which
            // bytes do not reset, can close the connection before the last byte.
            byte[] head = ("GET /health HTTP/1.1\r\nhost: x\r\nx-padding: " + "a".repeat(200)).getBytes(StandardCharsets.US_ASCII);
            boolean closed = false;
            for (int i = 0; i < 200 && !closed; i++) {
                try {
                    out.write(head[i]);
                    out.flush();
                    Thread.sleep(20);
                } catch (SocketException e) {
                    closed = true;
                }
            }
            assertThat(closed).as("the gateway closed the connection while the headers trickled in").isTrue();
        }
    }

    @Test
    void aBodyThatNeverCompletesGetsA408AndTheConnectionCloses() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                    + fixture.apiKey + "\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"model\"")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = readAll(socket);
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(error(answer).path("code").asText()).isEqualTo("request_timeout");
        }
        assertThat(fixture.upstream.requests()).isEmpty();
    }

    @Test
    void anUnauthenticatedPostIsAnsweredAndItsConnectionClosed() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer wrong"
                    + "\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n{\"model\"")
                    .getBytes(StandardCharsets.US_ASCII));
            String answer = readAll(socket);
            assertThat(answer).startsWith("HTTP/1.1 401");
            assertThat(answer.toLowerCase()).contains("connection: close");
        }
    }

    @Test
    void keepAliveConnectionsMayWaitLongerThanTheHeaderTimeoutBetweenRequests() throws Exception {
        try (Socket socket = connect()) {
            for (int i = 0; i < 2; i++) {
                socket.getOutputStream().write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(socket)).startsWith("HTTP/1.1 200");
                Thread.sleep(1_000);
            }
        }
    }

    @Test
    void aSlowFirstTokenAndALongStreamOutliveTheBodyAndIdleTimeouts() throws Exception {
        // The answer starts after 1.5 s (longer than the body timeout) and then streams for about 7.5 s (longer than
        // the idle timeout): nothing may cut it, because the request was complete and the stream keeps writing.
        fixture.upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(1_500);
        HttpResponse<String> slow = fixture.post("/v1/chat/completions", CHAT);
        assertThat(slow.statusCode()).isEqualTo(200);

        fixture.upstream.reset();
        fixture.upstream.gapMillis(300).extraChunks(25);
        HttpResponse<String> stream = fixture.post("/v1/chat/completions",
                CHAT.substring(0, CHAT.length() - 1) + ",\"stream\":true}");
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.body()).contains("data: [DONE]");
    }

    @Test
    void aClientThatStopsReadingAStreamIsDroppedAfterTheSendTimeoutAndTheUpstreamStops() throws Exception {
        // The upstream streams as fast as it can; the client reads one byte and then nothing. Veil must not wait for
        // it until the idle timeout (6 s here): after the send timeout (1.5 s) of a full write queue it drops the
        // client and resets the upstream request, which would otherwise hold a pooled upstream connection.
        fixture.upstream.mode(FakeUpstream.Mode.FIREHOSE);
        try (Socket socket = connect()) {
            socket.setReceiveBufferSize(16 * 1024);
            String body = CHAT.substring(0, CHAT.length() - 1) + ",\"stream\":true}";
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                    + fixture.apiKey + "\r\ncontent-type: application/json\r\ncontent-length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            assertThat(socket.getInputStream().read()).isEqualTo('H');
            Eventually.await(Duration.ofSeconds(10), "the gateway stopped reading the upstream",
                    () -> fixture.upstream.firehoseBlocked() > 0);
            long blocked = System.nanoTime();
            Eventually.await(Duration.ofSeconds(10), "the upstream stream cut", () -> fixture.upstream.streamsCutByClient() > 0);
            assertThat(Duration.ofNanos(System.nanoTime() - blocked)).as("dropped by the send timeout, not the idle timeout")
                    .isLessThan(Duration.ofMillis(5_500));
            socket.setSoTimeout(10_000);
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            try {
                int n;
                while ((n = socket.getInputStream().read(buffer)) > 0) {
                    read += n;
                }
            } catch (java.net.SocketException reset) {
                // a reset is as good as an end of stream here: the connection is gone
            }
            assertThat(read).as("the stream was cut, not completed").isLessThan(
                    (long) FakeUpstream.FIREHOSE_EVENTS * FakeUpstream.FIREHOSE_EVENT_BYTES);
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 200");
            socket.setSoTimeout(15_000);
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    // ---- RFC 9112 framing ----

    @Test
    void contentLengthWithChunkedIsRefusedAndTheRestIsNeverRun() throws Exception {
        String smuggled = "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer " + fixture.apiKey
                + "\r\ncontent-type: application/json\r\ncontent-length: " + CHAT.length() + "\r\n\r\n" + CHAT;
        String chunk = "0\r\n\r\n";
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                    + fixture.apiKey + "\r\ncontent-type: application/json\r\ncontent-length: " + chunk.length()
                    + "\r\ntransfer-encoding: chunked\r\n\r\n" + chunk + smuggled).getBytes(StandardCharsets.US_ASCII));
            String answer = readAll(socket);
            assertThat(answer).startsWith("HTTP/1.1 400");
            assertThat(error(answer).path("code").asText()).isEqualTo("conflicting_framing");
            assertThat(answer.split("HTTP/1.1 ", -1)).as("one answer only").hasSize(2);
        }
        assertThat(fixture.upstream.requests()).as("the smuggled request never ran").isEmpty();
    }

    @Test
    void transferCodingsOtherThanChunkedAreRefused() throws Exception {
        for (String coding : List.of("xchunked", "chunked, identity", "gzip, chunked", "identity")) {
            // With chunked among the codings the body is framed as chunks; otherwise by a Content-Length.
            boolean chunked = coding.contains("chunked") && !coding.equals("xchunked");
            String body = chunked ? "0\r\n\r\n" : "{}";
            String length = chunked ? "" : "content-length: " + body.length() + "\r\n";
            try (Socket socket = connect()) {
                socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                        + fixture.apiKey + "\r\ncontent-type: application/json\r\n" + length
                        + "transfer-encoding: " + coding + "\r\n\r\n" + body
                        + "GET /health HTTP/1.1\r\nhost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String answer = readAll(socket);
                assertThat(answer).as(coding).startsWith("HTTP/1.1 400");
                assertThat(error(answer).path("code").asText()).isEqualTo("unsupported_transfer_encoding");
                assertThat(answer.split("HTTP/1.1 ", -1)).as("the trailing request never ran").hasSize(2);
            }
        }
    }

    @Test
    void chunkExtensionsAreAccepted() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                    + fixture.apiKey + "\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                    + Integer.toHexString(CHAT.length()) + ";foo=bar\r\n" + CHAT + "\r\n0;last=yes\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 200");
        }
    }

    @Test
    void httpLayerErrorsAreOpenAiShaped() throws Exception {
        String longLine = "GET /v1/models?x=" + "a".repeat(2_000) + " HTTP/1.1\r\nhost: x\r\n\r\n";
        String answer = exchange(longLine);
        assertThat(answer).startsWith("HTTP/1.").contains(" 414 ");
        assertThat(error(answer).path("code").asText()).isEqualTo("request_line_too_long");

        String bigHeaders = "GET /health HTTP/1.1\r\nhost: x\r\nx-big: " + "b".repeat(4_000) + "\r\n\r\n";
        answer = exchange(bigHeaders);
        assertThat(answer).startsWith("HTTP/1.").contains(" 431 ");
        assertThat(error(answer).path("code").asText()).isEqualTo("headers_too_large");

        answer = exchange("GET /health HTTP/1.1\r\nhost: x\r\nbad header\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.").contains(" 400 ");
        assertThat(error(answer).path("code").asText()).isEqualTo("invalid_http_request");
    }

    @Test
    void aBadH2cUpgradeIsServedAsHttp11() throws Exception {
        for (String upgrade : List.of("connection: upgrade\r\nupgrade: h2c\r\n",
                "connection: upgrade, http2-settings\r\nupgrade: h2c\r\nhttp2-settings: !!not-base64!!\r\n",
                "connection: upgrade, http2-settings\r\nupgrade: h2c\r\nhttp2-settings: AAIAAAAF\r\n")) {
            try (Socket socket = connect()) {
                socket.getOutputStream().write(("GET /health HTTP/1.1\r\nhost: x\r\n" + upgrade + "\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = readResponse(socket);
                assertThat(answer).as(upgrade).startsWith("HTTP/1.1 200");
                assertThat(answer).endsWith("{\"status\":\"ok\"}");
            }
        }
    }

    @Test
    void http2WithPriorKnowledgeStillWorks() throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            out.flush();
            byte[] frame = socket.getInputStream().readNBytes(9);
            assertThat(frame).hasSize(9);
            assertThat(frame[3]).as("the server's first frame is SETTINGS").isEqualTo((byte) 4);
        }
    }

    // ---- query and path decoding ----

    @Test
    void malformedPercentEncodingAndOutOfRangeValuesAre400sNamingTheParam() throws Exception {
        assertParam("/v1/models/%E0%A4%A", "model");
        assertParam("/v1/models/%C0%AF", "model");
        assertParam("/v1/usage?start_date=%ZZ", "start_date");
        assertParam("/v1/usage?start_date=%2B999999999-12-31", "start_date");
        assertParam("/v1/usage?end_date=-999999999-01-01", "end_date");
        assertParam("/v1/usage?start_date=2025-01-01&end_date=%", "end_date");
        assertParam("/v1/attestation?model=%G0&nonce=00", "model");
    }

    @Test
    void attestationForAModelWithoutNodesIsAClientError() throws Exception {
        HttpResponse<String> response = fixture.get("/v1/attestation?model=test-chat&nonce=" + "ab".repeat(32));
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(response.body()).path("error").path("code").asText()).isEqualTo("model_not_attested");
    }

    @Test
    void h2cStillWorks() throws Exception {
        var client = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_2).build();
        HttpResponse<String> response = client.send(java.net.http.HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + fixture.apiKey).header("content-type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(CHAT)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
    }

    // ---- helpers ----

    /** GETs {@code target} as sent (no client-side validation of its encoding) and expects a 400 naming the param. */
    private static void assertParam(String target, String param) throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nhost: x\r\nauthorization: Bearer "
                    + fixture.apiKey + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = readResponse(socket);
            assertThat(answer).as(target).startsWith("HTTP/1.1 400");
            JsonNode error = error(answer);
            assertThat(error.path("param").asText()).as(target).isEqualTo(param);
            assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        }
    }

    private static JsonNode error(String answer) throws IOException {
        return JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error");
    }

    private static int health() throws Exception {
        return fixture.get("/health").statusCode();
    }

    private static Socket connect() throws IOException {
        URI origin = URI.create(fixture.origin());
        Socket socket = new Socket(origin.getHost(), origin.getPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static String exchange(String request) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return readAll(socket);
        }
    }

    /** Everything until the server closes; fails the test (timeout) if it never does. */
    private static String readAll(Socket socket) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server did not close the connection; read so far: " + out, e);
        } catch (SocketException e) {
            // reset after the answer: what was read counts
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One response with a content-length body, leaving the connection open. */
    private static String readResponse(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.US_ASCII);
        int length = 0;
        for (String line : headers.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return headers + new String(body, StandardCharsets.UTF_8);
    }
}
