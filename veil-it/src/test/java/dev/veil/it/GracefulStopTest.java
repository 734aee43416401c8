package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway that stops (SIGTERM runs {@code Gateway.close()}) takes no new connection but lets a stream in flight
 * finish within {@code server.shutdown_grace_ms}, and meters it (docs/deployment.md); with a grace of 0 the stream is
 * cut.
 */
@Timeout(90)
class GracefulStopTest {

    private static final String STREAM = "{\"model\":\"test-chat\",\"stream\":true,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @TempDir
    Path dataDir;

    @Test
    void aStreamInFlightFinishesAndIsMeteredWhileTheGatewayStops() throws Exception {
        GatewayFixture fixture = GatewayFixture.withServer(dataDir, 5_000, "  shutdown_grace_ms: 20000\n");
        fixture.upstream.gapMillis(50).extraChunks(40); // about two seconds of stream
        try {
            CompletableFuture<HttpResponse<String>> stream = fixture.http().sendAsync(streamRequest(fixture),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(500); // the stream is under way
            CompletableFuture<Void> stopping = CompletableFuture.runAsync(fixture.gateway::close);
            Thread.sleep(300);
            // Stopping: no new connection is taken.
            assertThatThrownBy(() -> fixture.http().send(HttpRequest.newBuilder(URI.create(fixture.origin() + "/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(IOException.class);
            HttpResponse<String> finished = stream.get(30, TimeUnit.SECONDS);
            assertThat(finished.statusCode()).isEqualTo(200);
            assertThat(finished.body()).as("the stream ran to its end").contains("data: [DONE]");
            stopping.get(30, TimeUnit.SECONDS);
            assertThat(requestRows()).as("the stream that finished during the stop was metered").isEqualTo(1);
        } finally {
            fixture.upstream.close();
        }
    }

    @Test
    void withNoGraceAStreamInFlightIsCut() throws Exception {
        GatewayFixture fixture = GatewayFixture.withServer(dataDir, 5_000, "  shutdown_grace_ms: 0\n");
        fixture.upstream.gapMillis(50).extraChunks(40);
        try {
            CompletableFuture<HttpResponse<String>> stream = fixture.http().sendAsync(streamRequest(fixture),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(500);
            fixture.gateway.close();
            try {
                HttpResponse<String> cut = stream.get(30, TimeUnit.SECONDS);
                assertThat(cut.body()).doesNotContain("data: [DONE]");
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(IOException.class); // the connection went mid-body
            }
        } finally {
            fixture.upstream.close();
        }
    }

    private static HttpRequest streamRequest(GatewayFixture fixture) {
        return HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + fixture.apiKey).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(STREAM)).build();
    }

    private long requestRows() throws Exception {
        try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("veil.db"));
             ResultSet rows = db.createStatement().executeQuery("SELECT COUNT(*) FROM request_log")) {
            return rows.getLong(1);
        }
    }
}
