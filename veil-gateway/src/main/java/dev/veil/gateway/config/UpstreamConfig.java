package dev.veil.gateway.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * An OpenAI-compatible engine or provider Veil relays to ({@code upstreams:} in YAML).
 *
 * @param name             the unique name routes refer to
 * @param baseUrl          the OpenAI-compatible base URL including the version path, e.g.
 *                         {@code http://127.0.0.1:8000/v1}; Veil appends {@code /chat/completions} and so on
 * @param apiKeyEnv        the NAME of the environment variable holding the credential; optional (local engines need
 *                         none); the credential itself never appears in the configuration
 * @param headers          extra static, non-secret headers sent with every request; empty by default; insertion
 *                         order kept
 * @param connectTimeoutMs how long to wait for a TCP/TLS connection; default {@value #DEFAULT_CONNECT_TIMEOUT_MS}
 * @param idleTimeoutMs    the longest silence allowed between bytes of a response, long enough for a slow first
 *                         token; default {@value #DEFAULT_IDLE_TIMEOUT_MS}
 * @param maxConnections   the connection pool size for this upstream; default {@value #DEFAULT_MAX_CONNECTIONS}
 * @param node             whether this is a Veil node (e2ee, attested) rather than a plain OpenAI-compatible server;
 *                         its base URL is then the node's origin plus {@code /v1}
 */
public record UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                             long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node) {

    /** A plain (non-node) upstream. */
    public UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                          long connectTimeoutMs, long idleTimeoutMs, int maxConnections) {
        this(name, baseUrl, apiKeyEnv, headers, connectTimeoutMs, idleTimeoutMs, maxConnections, false);
    }

    /** A Veil node at {@code origin} (e.g. {@code http://127.0.0.1:9000}). */
    public static UpstreamConfig node(String name, String origin) {
        return new UpstreamConfig(name, origin + "/v1", null, Map.of(), DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS,
                DEFAULT_MAX_CONNECTIONS, true);
    }

    /** Default connect timeout: 5 s. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    /** Default idle timeout: 5 min. */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 300_000;
    /** Default connection pool size. */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;

    /** Makes {@code headers} an immutable, order-preserving copy (empty when {@code null}). */
    public UpstreamConfig {
        headers = headers == null || headers.isEmpty()
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** An upstream with default timeouts and pool size, no credential and no extra headers. */
    public static UpstreamConfig of(String name, String baseUrl) {
        return new UpstreamConfig(name, baseUrl, null, Map.of(), DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS,
                DEFAULT_MAX_CONNECTIONS);
    }

    /**
     * The credential for this upstream from {@code env}: the value of the variable named by {@code apiKeyEnv}. Empty
     * when no variable is named or it is unset or blank; the upstream is then called without a credential.
     */
    public Optional<String> apiKey(Map<String, String> env) {
        return EnvRef.resolve(apiKeyEnv, env);
    }
}
