package dev.veil.it;

import dev.veil.gateway.Gateway;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.store.ApiKeyIssuer;
import dev.veil.store.IssuedKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * A real gateway in this JVM, configured from YAML, in front of a {@link FakeUpstream}, with a fresh SQLite store and
 * one API key.
 */
public final class GatewayFixture implements AutoCloseable {

    public static final String UPSTREAM_SECRET = "upstream-credential-0c1d";
    public static final String ADMIN_TOKEN = "admin-token-for-tests";
    /** A fixed master key (base64url of 32 bytes) for fixtures with the batch API on. */
    public static final String MASTER_KEY = "dmVpbC10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXMhISE";

    public final FakeUpstream upstream;
    public final Gateway gateway;
    public final String apiKey;
    public final String keyId;
    public final Path dataDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayFixture(FakeUpstream upstream, Gateway gateway, IssuedKey key, Path dataDir) {
        this.upstream = upstream;
        this.gateway = gateway;
        this.apiKey = key.secret();
        this.keyId = key.record().id();
        this.dataDir = dataDir;
    }

    /** The YAML the fixture runs; {@code %s} are the upstream base URL and the data directory. */
    static String yaml(String upstreamBaseUrl, Path dataDir, long idleTimeoutMs) {
        return yaml(upstreamBaseUrl, dataDir, idleTimeoutMs, "");
    }

    /** As above; {@code upstreamSettings} are extra YAML lines for the {@code fake} upstream (indented 4 spaces). */
    static String yaml(String upstreamBaseUrl, Path dataDir, long idleTimeoutMs, String upstreamSettings) {
        return yaml(upstreamBaseUrl, dataDir, idleTimeoutMs, "", upstreamSettings);
    }

    /**
     * As above, with {@code serverYaml} (lines indented by two spaces) added to the {@code server:} section and
     * {@code upstreamSettings} (indented 4 spaces) to the {@code fake} upstream.
     */
    static String yaml(String upstreamBaseUrl, Path dataDir, long idleTimeoutMs, String serverYaml,
                       String upstreamSettings) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  max_body_bytes: 65536
                """ + (serverYaml.contains("shutdown_grace_ms") ? "" : "  shutdown_grace_ms: 2000\n") + serverYaml + """
                store:
                  data_dir: %s
                upstreams:
                  - name: fake
                    base_url: %s
                    api_key_env: FAKE_UPSTREAM_KEY
                    idle_timeout_ms: %d
                    connect_timeout_ms: 2000
                %s
                  - name: nowhere
                    base_url: http://127.0.0.1:9/v1
                    connect_timeout_ms: 2000
                    idle_timeout_ms: %d
                models:
                  - id: test-chat
                    routes:
                      - name: fake-zdr
                        upstream: fake
                        model: upstream-chat
                        tokenizer: o200k_base
                        price: { input_per_million: 1.0, output_per_million: 2.0 }
                        policy: { trains: false, retention_days: 0, zdr: true, jurisdiction: EU }
                  - id: test-embed
                    routes:
                      - name: fake-embed
                        upstream: fake
                        model: upstream-embed
                        policy: { trains: false, retention_days: 0 }
                  - id: test-unreachable
                    routes:
                      - upstream: nowhere
                """.formatted(dataDir, upstreamBaseUrl, idleTimeoutMs, upstreamSettings.stripTrailing(), idleTimeoutMs);
    }

    /** A fixture whose {@code server:} section also holds {@code serverYaml} (lines indented by two spaces). */
    public static GatewayFixture withServer(Path dataDir, long idleTimeoutMs, String serverYaml) {
        FakeUpstream upstream = FakeUpstream.start();
        Map<String, String> env = Map.of("FAKE_UPSTREAM_KEY", UPSTREAM_SECRET, "VEIL_ADMIN_TOKEN", ADMIN_TOKEN);
        VeilConfig config = ConfigLoader.parse(yaml(upstream.baseUrl(), dataDir, idleTimeoutMs, serverYaml, ""), env);
        Gateway gateway = Gateway.start(config, env);
        IssuedKey key = ApiKeyIssuer.issue("it", Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return new GatewayFixture(upstream, gateway, key, dataDir);
    }

    public static GatewayFixture start(Path dataDir) {
        return start(dataDir, 3_000);
    }

    public static GatewayFixture start(Path dataDir, long idleTimeoutMs) {
        return start(dataDir, idleTimeoutMs, "");
    }

    /** A fixture whose YAML ends with {@code extraYaml} (e.g. a {@code routing:} section). */
    public static GatewayFixture start(Path dataDir, long idleTimeoutMs, String extraYaml) {
        return start(dataDir, idleTimeoutMs, extraYaml, Map.of());
    }

    /** A fixture with the Files and Batches API on ({@link #MASTER_KEY}); {@code extraYaml} as above. */
    public static GatewayFixture withBatches(Path dataDir, String extraYaml) {
        return start(dataDir, 3_000, extraYaml, Map.of("VEIL_MASTER_KEY", MASTER_KEY));
    }

    /** A fixture whose environment also holds {@code extraEnv}. */
    public static GatewayFixture start(Path dataDir, long idleTimeoutMs, String extraYaml, Map<String, String> extraEnv) {
        return start(dataDir, idleTimeoutMs, "", extraYaml, extraEnv);
    }

    /**
     * A fixture whose {@code fake} upstream also has {@code upstreamSettings} (YAML lines such as
     * {@code "    max_connections: 2\n"}), and whose YAML ends with {@code extraYaml}.
     */
    public static GatewayFixture start(Path dataDir, long idleTimeoutMs, String upstreamSettings, String extraYaml,
                                       Map<String, String> extraEnv) {
        FakeUpstream upstream = FakeUpstream.start();
        Map<String, String> env = new java.util.HashMap<>(Map.of("FAKE_UPSTREAM_KEY", UPSTREAM_SECRET,
                "VEIL_ADMIN_TOKEN", ADMIN_TOKEN));
        env.putAll(extraEnv);
        VeilConfig config = ConfigLoader.parse(yaml(upstream.baseUrl(), dataDir, idleTimeoutMs, upstreamSettings) + extraYaml, env);
        Gateway gateway = Gateway.start(config, env);
        IssuedKey key = ApiKeyIssuer.issue("it", Instant.now());
        gateway.store().apiKeys().insert(key.record());
        return new GatewayFixture(upstream, gateway, key, dataDir);
    }

    /** e.g. {@code http://127.0.0.1:1234/v1} */
    public String baseUrl() {
        return gateway.baseUrl();
    }

    /** The official openai-java client pointed at this gateway with {@code apiKey}; no retries, so a test sees each answer. */
    public com.openai.client.OpenAIClient openAiClient(String apiKey) {
        return com.openai.client.okhttp.OpenAIOkHttpClient.builder().baseUrl(baseUrl()).apiKey(apiKey).maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
    }

    public String origin() {
        return "http://127.0.0.1:" + gateway.port();
    }

    /** POSTs JSON to a path under the origin with the fixture's key. */
    public HttpResponse<String> post(String path, String json) {
        return send(HttpRequest.newBuilder(URI.create(origin() + path))
                .header("authorization", "Bearer " + apiKey)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** GETs a path under the origin with the fixture's key. */
    public HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(URI.create(origin() + path)).header("authorization", "Bearer " + apiKey).GET());
    }

    public HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("request to the gateway failed: " + e, e);
        }
    }

    public HttpClient http() {
        return http;
    }

    @Override
    public void close() {
        gateway.close();
        upstream.close();
    }
}
