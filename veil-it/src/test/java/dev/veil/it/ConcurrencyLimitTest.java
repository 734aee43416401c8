package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** max_concurrent on one gateway without Redis: slots are held while requests run and given back however they end. */
@Timeout(60)
class ConcurrencyLimitTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static HttpRequest.Builder chat(GatewayFixture fixture, IssuedKey key) {
        return HttpRequest.newBuilder(URI.create(fixture.origin() + "/v1/chat/completions"))
                .header("authorization", "Bearer " + key.secret()).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(CHAT));
    }

    @Test
    void aKeyGetsItsSlotsBackWhenRequestsEndOrClientsLeave() throws Exception {
        try (GatewayFixture fixture = GatewayFixture.start(tmp)) {
            IssuedKey key = ApiKeyIssuer.issue("one-at-a-time", KeyPolicyJson.read("{\"max_concurrent\":1}"), Instant.now());
            fixture.gateway.store().apiKeys().insert(key.record());

            fixture.upstream.mode(FakeUpstream.Mode.SLOW).slowMillis(1_000);
            CompletableFuture<HttpResponse<String>> running = fixture.http().sendAsync(chat(fixture, key).build(),
                    HttpResponse.BodyHandlers.ofString());
            Eventually.await(Duration.ofSeconds(10), "the first request at the upstream",
                    () -> fixture.upstream.requests().size() == 1);
            HttpResponse<String> second = fixture.send(chat(fixture, key));
            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(JSON.readTree(second.body()).path("error").path("code").asText())
                    .isEqualTo("concurrency_limit_exceeded");
            assertThat(second.headers().firstValue("retry-after")).hasValue("1");
            assertThat(running.get().statusCode()).isEqualTo(200);
            fixture.upstream.mode(FakeUpstream.Mode.OK);
            assertThat(fixture.send(chat(fixture, key)).statusCode()).as("the finished request's slot is free").isEqualTo(200);

            // A client that leaves while its request waits for the upstream gives its slot back too.
            fixture.upstream.mode(FakeUpstream.Mode.SILENT);
            int before = fixture.upstream.requests().size();
            try (Socket socket = new Socket("127.0.0.1", fixture.gateway.port())) {
                byte[] body = CHAT.getBytes(StandardCharsets.UTF_8);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + key.secret()
                        + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                Eventually.await(Duration.ofSeconds(10), "the abandoned request at the upstream",
                        () -> fixture.upstream.requests().size() == before + 1);
            }
            fixture.upstream.mode(FakeUpstream.Mode.OK);
            Eventually.await(Duration.ofSeconds(10), "the abandoned request's slot is free",
                    () -> fixture.send(chat(fixture, key)).statusCode() == 200);
        }
    }
}
