package dev.veil.client.transparency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Gateway answers are read within a size cap and a time limit, over real HTTP: an endless body is cut at the cap, a
 * body that stops arriving (after its head came in time) ends at the limit, and the log client turns an oversized or
 * malformed log answer into a {@link LogClient.BadAnswer}.
 */
@Timeout(30)
class BoundedHttpTest {

    private HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/endless", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] chunk = new byte[8192];
                for (int i = 0; i < 10_000 && release.getCount() > 0; i++) {
                    out.write(chunk);
                }
            } catch (java.io.IOException e) {
                // the client cancelled
            }
        });
        server.createContext("/silent", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("{\"tree_size\":".getBytes());
            exchange.getResponseBody().flush();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
        server.createContext("/v1/transparency/head", exchange -> {
            byte[] body = "{\"tree_size\":\"two\"}".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/v1/transparency/proof/consistency", exchange -> {
            byte[] body = ("{\"first\":1,\"second\":2,\"proof\":[\"" + "A".repeat(20_000) + "\"]}").getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
        http.shutdownNow();
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).build();
    }

    @Test
    void anEndlessBodyIsCutAtTheCap() {
        assertThatThrownBy(() -> BoundedHttp.send(http, get("/endless"), 64 * 1024, Duration.ofSeconds(10)))
                .isInstanceOf(BoundedHttp.TooLarge.class).hasMessageContaining("65536");
    }

    @Test
    void aBodyThatStopsArrivingEndsAtTheLimit() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> BoundedHttp.send(http, get("/silent"), 64 * 1024, Duration.ofMillis(500)))
                .isInstanceOf(HttpTimeoutException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void theLogClientRefusesMalformedAndOversizedAnswers() {
        LogClient client = new LogClient("http://127.0.0.1:" + server.getAddress().getPort(), null, http,
                Duration.ofSeconds(5));
        assertThatThrownBy(client::head).isInstanceOf(LogClient.BadAnswer.class).hasMessageContaining("tree_size");
        assertThatThrownBy(() -> client.consistencyProof(1, 2)).isInstanceOf(LogClient.BadAnswer.class)
                .hasMessageContaining("larger than");
    }
}
