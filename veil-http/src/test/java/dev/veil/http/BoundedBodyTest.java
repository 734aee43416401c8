package dev.veil.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link BoundedBody} (the gateway's, the node's and the proxy's body reader) over real loopback HTTP: a declared {@code Content-Length} is a claim, not an allocation. Before the
 * fix, each request declaring 16 MiB made the reader allocate 16 MiB up front (48 of them: 768 MiB).
 */
@Timeout(60)
class BoundedBodyTest {

    private static final long LIMIT = 16L * 1024 * 1024;
    private static final int CONNECTIONS = 48;

    private Vertx vertx;
    private HttpServer server;
    private final AtomicInteger started = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(request -> {
            started.incrementAndGet();
            BoundedBody.read(request, LIMIT)
                    .onSuccess(body -> request.response().end("read " + body.length))
                    .onFailure(t -> request.response().setStatusCode(400).end());
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void aDeclaredLengthIsNotAllocatedBeforeTheBytesArrive() throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = allocated(threads);
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket socket = new Socket("127.0.0.1", server.actualPort());
                socket.getOutputStream().write(("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: " + LIMIT + "\r\n\r\n{")
                        .getBytes(StandardCharsets.US_ASCII));
                sockets.add(socket);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (started.get() < CONNECTIONS && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            assertThat(started.get()).isEqualTo(CONNECTIONS);
            long allocatedMiB = (allocated(threads) - before) / (1024 * 1024);
            assertThat(allocatedMiB).as("MiB allocated while %d requests each declared 16 MiB and sent 1 byte",
                    CONNECTIONS).isLessThan(128);
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
    }

    @Test
    void aBodyIsStillReadWhole() throws Exception {
        byte[] body = "x".repeat(100_000).getBytes(StandardCharsets.US_ASCII);
        try (Socket socket = new Socket("127.0.0.1", server.actualPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: "
                    + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            InputStream in = socket.getInputStream();
            assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).endsWith("read 100000");
        }
    }

    @Test
    void aClientThatLeftWhileTheReadWaitedFailsTheReadAtOnceAndHoldsNoBudget() throws Exception {
        MemoryBudget budget = MemoryBudget.of(1024 * 1024);
        java.util.concurrent.CompletableFuture<Throwable> outcome = new java.util.concurrent.CompletableFuture<>();
        HttpServer late = vertx.createHttpServer().requestHandler(request -> {
            // As the gateway does while it authenticates and admits: the body waits, paused.
            request.pause();
            vertx.setTimer(500, t -> BoundedBody.read(request, LIMIT, budget).onComplete(read ->
                    outcome.complete(read.failed() ? read.cause() : null)));
        }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        try (Socket socket = new Socket("127.0.0.1", late.actualPort())) {
            socket.getOutputStream().write(("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\n" + "y".repeat(500))
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            Thread.sleep(100);
        }
        // Without the check the read never completed: the close was reported before its handlers existed.
        assertThat(outcome.get(10, TimeUnit.SECONDS)).isInstanceOf(io.vertx.core.http.HttpClosedException.class);
        assertThat(budget.reserved()).isZero();
    }

    private static long allocated(com.sun.management.ThreadMXBean threads) {
        long total = 0;
        for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            total += Math.max(0, bytes);
        }
        return total;
    }
}
