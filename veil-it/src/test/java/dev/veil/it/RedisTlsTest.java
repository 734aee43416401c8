package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigException;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.protocol.KeyPolicyJson;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shared limits through a real {@code redis-server} that speaks only TLS ({@code rediss://}): with the server's
 * authority given in {@code redis.tls_ca_file} the limits are counted there; without it the certificate does not
 * verify, Redis counts as unreachable, and keys with limits are refused (fail closed) rather than served unlimited.
 */
@Timeout(120)
class RedisTlsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    private static final Map<String, String> ENV = Map.of("FAKE_UPSTREAM_KEY", GatewayFixture.UPSTREAM_SECRET,
            "VEIL_ADMIN_TOKEN", GatewayFixture.ADMIN_TOKEN);

    @TempDir
    static Path work;

    private static RedisServer redis;
    private static FakeUpstream upstream;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        redis = RedisServer.startTls(work.resolve("redis"));
        upstream = FakeUpstream.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    private static String yaml(String name, String redisBlock) throws Exception {
        return GatewayFixture.yaml(upstream.baseUrl(), Files.createDirectories(work.resolve(name)), 3_000)
                + "redis:\n  url: " + redis.url() + "\n  timeout_ms: 1000\n  fail_mode: fail_closed\n" + redisBlock;
    }

    private static IssuedKey key(Gateway gateway, String policyJson) {
        IssuedKey key = ApiKeyIssuer.issue("tls", KeyPolicyJson.read(policyJson), Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return key;
    }

    private HttpResponse<String> chat(Gateway gateway, IssuedKey key) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.baseUrl() + "/chat/completions"))
                .header("authorization", "Bearer " + key.secret()).header("content-type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(CHAT)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void limitsAreCountedInRedisOverTlsWhenItsAuthorityIsTrusted() throws Exception {
        Gateway gateway = Gateway.start(ConfigLoader.parse(yaml("trusted",
                "  tls_ca_file: " + redis.certificate() + "\n"), ENV), ENV);
        try {
            IssuedKey key = key(gateway, "{\"rpm\":3}");
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> admitted = chat(gateway, key);
                assertThat(admitted.statusCode()).as(admitted.body()).isEqualTo(200);
            }
            HttpResponse<String> refused = chat(gateway, key);
            assertThat(refused.statusCode()).isEqualTo(429);
            assertThat(JSON.readTree(refused.body()).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
            // The count lives in the TLS server (read here over TLS), under a hash of the key id, never the secret.
            assertThat(redis.keys()).isNotEmpty().noneMatch(k -> k.contains(key.secret()));
        } finally {
            gateway.close();
        }
    }

    @Test
    void aServerWhoseCertificateIsNotTrustedIsUnreachableAndLimitedKeysFailClosed() throws Exception {
        Gateway gateway = Gateway.start(ConfigLoader.parse(yaml("untrusted", ""), ENV), ENV);
        try {
            HttpResponse<String> limited = chat(gateway, key(gateway, "{\"rpm\":3}"));
            assertThat(limited.statusCode()).isEqualTo(503);
            assertThat(JSON.readTree(limited.body()).path("error").path("code").asText())
                    .isEqualTo("rate_limiter_unavailable");
            assertThat(limited.headers().firstValue("retry-after")).isPresent();
            // A key without limits never waits for Redis.
            assertThat(chat(gateway, key(gateway, "{}")).statusCode()).isEqualTo(200);
        } finally {
            gateway.close();
        }
    }

    @Test
    void aCaFileNeedsRedissAndAReadableFile() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(yaml("plain", "  tls_ca_file: "
                        + redis.certificate() + "\n").replace("rediss://", "redis://"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("redis.tls_ca_file")
                .hasMessageContaining("rediss://");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.parse(yaml("missing",
                        "  tls_ca_file: " + work.resolve("no-such.pem") + "\n"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("redis.tls_ca_file")
                .hasMessageContaining("cannot be read");
    }
}
