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
 * @param poolWaitTimeoutMs how long a request may wait for a pooled connection when all {@code maxConnections} are
 *                         busy; a local wait, never counted as an upstream failure; default
 *                         {@value #DEFAULT_POOL_WAIT_TIMEOUT_MS}
 * @param maxWaitQueue     how many requests may wait for a pooled connection; the excess is answered 503 at once;
 *                         default {@value #DEFAULT_MAX_WAIT_QUEUE}
 * @param maxResponseBytes the largest whole (non-stream) answer read from this upstream; default
 *                         {@value #DEFAULT_MAX_RESPONSE_BYTES}
 * @param maxErrorBytes    how much of an error answer is read (only a prefix is needed to map it); default
 *                         {@value #DEFAULT_MAX_ERROR_BYTES}
 * @param maxEventBytes    the largest single server-sent event of a stream; default {@value #DEFAULT_MAX_EVENT_BYTES}
 * @param apis             the API families the upstream speaks natively ({@code chat}: chat completions, completions
 *                         and embeddings; {@code responses}: OpenAI's Responses API; {@code messages}: Anthropic's
 *                         Messages API at {@code base_url + /messages}, called with the credential as
 *                         {@code x-api-key}); default {@code [chat]}
 * @param attestation      how the provider's TEE claim is verified (its published attestation report), or null when
 *                         the routes' {@code tee} is the operator's word only
 */
public record UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                             long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node,
                             long poolWaitTimeoutMs, int maxWaitQueue, long maxResponseBytes, long maxErrorBytes,
                             long maxEventBytes, java.util.List<String> apis,
                             ProviderAttestationConfig attestation) {

    /** The API families an upstream speaks when its configuration names none. */
    public static final java.util.List<String> DEFAULT_APIS = java.util.List.of(dev.veil.protocol.api.Endpoint.API_CHAT);

    /** An upstream speaking only the chat API family. */
    public UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                          long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node,
                          long poolWaitTimeoutMs, int maxWaitQueue, long maxResponseBytes, long maxErrorBytes,
                          long maxEventBytes) {
        this(name, baseUrl, apiKeyEnv, headers, connectTimeoutMs, idleTimeoutMs, maxConnections, node, poolWaitTimeoutMs,
                maxWaitQueue, maxResponseBytes, maxErrorBytes, maxEventBytes, DEFAULT_APIS, null);
    }

    /** An upstream whose TEE claim (if any) is the operator's word only: no provider attestation. */
    public UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                          long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node,
                          long poolWaitTimeoutMs, int maxWaitQueue, long maxResponseBytes, long maxErrorBytes,
                          long maxEventBytes, java.util.List<String> apis) {
        this(name, baseUrl, apiKeyEnv, headers, connectTimeoutMs, idleTimeoutMs, maxConnections, node, poolWaitTimeoutMs,
                maxWaitQueue, maxResponseBytes, maxErrorBytes, maxEventBytes, apis, null);
    }

    /** A plain (non-node) upstream with default pool wait and size caps. */
    public UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                          long connectTimeoutMs, long idleTimeoutMs, int maxConnections) {
        this(name, baseUrl, apiKeyEnv, headers, connectTimeoutMs, idleTimeoutMs, maxConnections, false);
    }

    /** An upstream with default pool wait and size caps. */
    public UpstreamConfig(String name, String baseUrl, String apiKeyEnv, Map<String, String> headers,
                          long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node) {
        this(name, baseUrl, apiKeyEnv, headers, connectTimeoutMs, idleTimeoutMs, maxConnections, node,
                DEFAULT_POOL_WAIT_TIMEOUT_MS, DEFAULT_MAX_WAIT_QUEUE, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_ERROR_BYTES,
                DEFAULT_MAX_EVENT_BYTES);
    }

    /** A Veil node at {@code origin} (e.g. {@code http://127.0.0.1:9000}). */
    public static UpstreamConfig node(String name, String origin) {
        return node(name, origin, null);
    }

    /** As {@link #node(String, String)}, with the node's gateway token in the environment variable {@code tokenEnv}. */
    public static UpstreamConfig node(String name, String origin, String tokenEnv) {
        return new UpstreamConfig(name, origin + "/v1", tokenEnv, Map.of(), DEFAULT_CONNECT_TIMEOUT_MS,
                DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, true);
    }

    /** Default connect timeout: 5 s. */
    public static final long DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    /** Default idle timeout: 5 min. */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 300_000;
    /** Default connection pool size. */
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    /** Default wait for a pooled connection: 5 s. */
    public static final long DEFAULT_POOL_WAIT_TIMEOUT_MS = 5_000;
    /** Default number of requests that may wait for a pooled connection. */
    public static final int DEFAULT_MAX_WAIT_QUEUE = 1_024;
    /**
     * Default cap of a whole answer: 32 MiB. Chat answers are kilobytes; the largest legitimate answers are embedding
     * batches (2,048 inputs of 3,072 dimensions are about 33 MB as base64, several times that as JSON floats, which
     * need a higher cap).
     */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 32L << 20;
    /** Default cap of an error answer read: 64 KiB, far more than an OpenAI-shaped error needs. */
    public static final long DEFAULT_MAX_ERROR_BYTES = 64L << 10;
    /** Default cap of one server-sent event: 1 MiB; a token delta is tens of bytes, a final chunk a few kilobytes. */
    public static final long DEFAULT_MAX_EVENT_BYTES = 1L << 20;

    /** Makes {@code headers} an immutable, order-preserving copy (empty when {@code null}). */
    public UpstreamConfig {
        headers = headers == null || headers.isEmpty()
                ? Map.of()
                : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        apis = apis == null ? DEFAULT_APIS : java.util.Collections.unmodifiableList(new java.util.ArrayList<>(apis));
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
