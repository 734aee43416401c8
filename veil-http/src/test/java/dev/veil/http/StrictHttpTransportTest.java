package dev.veil.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shared server hardening on a bare Vert.x server, as the node and the proxy run it: strict framing, header and body
 * timeouts, OpenAI-shaped HTTP-layer errors, chunk extensions accepted. Raw sockets, short timeouts.
 */
@Timeout(60)
class StrictHttpTransportTest {

    private Vertx vertx;
    private HttpServer server;
    private final AtomicInteger served = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.builder().withTransport(StrictHttpTransport.nio(400, 600, uri -> uri.startsWith("/upload")))
                .build();
        server = vertx.createHttpServer(new HttpServerOptions().setMaxHeaderSize(2048).setMaxInitialLineLength(512))
                .requestHandler(request -> {
                    served.incrementAndGet();
                    BoundedBody.read(request, 1 << 20)
                            .onSuccess(body -> request.response().end("{\"read\":" + body.length + "}"))
                            .onFailure(t -> request.response().setStatusCode(400).end());
                })
                .invalidRequestHandler(new InvalidRequests("test server", () -> "req_test"))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void incompleteHeadersAndSilenceAreClosedWithoutAnAnswer() throws Exception {
        try (Socket silent = connect(); Socket partial = connect()) {
            partial.getOutputStream().write("POST / HTTP/1.1\r\nhost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(readAll(silent)).isEmpty();
            assertThat(readAll(partial)).isEmpty();
        }
        assertThat(served).hasValue(0);
    }

    @Test
    void anIncompleteBodyGetsA408() throws Exception {
        String answer = exchange("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc");
        assertThat(answer).startsWith("HTTP/1.1 408").contains("\"code\":\"request_timeout\"");
    }

    @Test
    void aSlowUploadThatKeepsProgressingIsNotCut() throws Exception {
        try (Socket socket = connect()) {
            var out = socket.getOutputStream();
            out.write("POST /upload HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 8\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < 8; i++) {
                Thread.sleep(200); // 1.6 s in all, more than the 600 ms body timeout, never 600 ms without a byte
                out.write('x');
                out.flush();
            }
            assertThat(readAll(socket)).startsWith("HTTP/1.1 200").endsWith("{\"read\":8}");
        }
    }

    @Test
    void framingIsStrictAndChunkExtensionsAreAccepted() throws Exception {
        assertThat(exchange("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n"
                + "0\r\n\r\nGET / HTTP/1.1\r\nhost: x\r\n\r\n"))
                .startsWith("HTTP/1.1 400").contains("\"code\":\"conflicting_framing\"").doesNotContain("200 OK");
        assertThat(exchange("POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: xchunked\r\ncontent-length: 2\r\n\r\n"
                + "{}GET / HTTP/1.1\r\nhost: x\r\n\r\n"))
                .startsWith("HTTP/1.1 400").contains("\"code\":\"unsupported_transfer_encoding\"").doesNotContain("200 OK");
        assertThat(exchange("POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ntransfer-encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n0;last=yes\r\n\r\n"))
                .startsWith("HTTP/1.1 200").endsWith("{\"read\":5}");
        assertThat(exchange("GET /" + "a".repeat(600) + " HTTP/1.1\r\nhost: x\r\n\r\n"))
                .contains(" 414 ").contains("\"code\":\"request_line_too_long\"").contains("x-request-id: req_test");
    }

    @Test
    void keepAliveRequestsMayPauseLongerThanTheHeaderTimeout() throws Exception {
        try (Socket socket = connect()) {
            for (int i = 0; i < 2; i++) {
                socket.getOutputStream().write("GET / HTTP/1.1\r\nhost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                StringBuilder answer = new StringBuilder();
                while (!answer.toString().endsWith("{\"read\":0}")) {
                    int b = socket.getInputStream().read();
                    assertThat(b).as("the connection stays open").isNotNegative();
                    answer.append((char) b);
                }
                assertThat(answer.toString()).startsWith("HTTP/1.1 200");
                Thread.sleep(800);
            }
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", server.actualPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    private String exchange(String request) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return readAll(socket);
        }
    }

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
}
