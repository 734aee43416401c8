package dev.veil.gateway.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The HTTP listener ({@code server:} in YAML).
 *
 * @param host           the address to bind; default {@value #DEFAULT_HOST} (loopback only)
 * @param port           the TCP port, 0..65535; 0 picks a free port; default {@value #DEFAULT_PORT}
 * @param maxBodyBytes   the largest request body accepted; default {@value #DEFAULT_MAX_BODY_BYTES} (16 MiB)
 * @param adminTokenEnv  the NAME of the environment variable that holds the admin API token; default
 *                       {@value #DEFAULT_ADMIN_TOKEN_ENV}; the admin API is disabled while that variable is unset
 * @param forwardHeaders extra client request header names allowed through to upstreams, lower-cased; empty by
 *                       default; never any of {@link #NEVER_FORWARDED}
 * @param requestHeaderTimeoutMs time a client connection has to deliver a request's complete headers (counted from
 *                       the connection's start or the request's first byte); default
 *                       {@value #DEFAULT_REQUEST_HEADER_TIMEOUT_MS}; then the connection is closed
 * @param requestBodyTimeoutMs time a request's whole body has to arrive once its headers are in (file uploads: the
 *                       longest pause between two reads); default {@value #DEFAULT_REQUEST_BODY_TIMEOUT_MS}; then a
 *                       408 and the connection is closed
 * @param idleTimeoutMs  a client connection on which nothing is read or written for this long is closed; 0 turns it
 *                       off; default {@value #DEFAULT_IDLE_TIMEOUT_MS}; at least every upstream's idle timeout, so a
 *                       stream waiting for its first token is never cut first
 * @param maxRequestLineBytes the longest request line (method, target, version); default
 *                       {@value #DEFAULT_MAX_REQUEST_LINE_BYTES}; longer gets 414
 * @param maxHeaderBytes the largest header block of a request; default {@value #DEFAULT_MAX_HEADER_BYTES}; larger
 *                       gets 431
 * @param sendTimeoutMs  the longest a response waits for a client that takes none of its bytes (a stream or download
 *                       the client stopped reading); default {@value #DEFAULT_SEND_TIMEOUT_MS}; then the client is
 *                       dropped and the upstream request reset
 * @param bodyMemoryBytes how many bytes the request bodies and whole upstream answers held at one time may take
 *                       together, across all connections; 0 (the default) means half the maximum heap; past it a
 *                       request gets 503 {@code gateway_busy} with {@code Retry-After}
 * @param shutdownGraceMs how long a stopping gateway (SIGTERM) lets the requests and streams in flight finish after it
 *                       stops accepting connections; default {@value #DEFAULT_SHUTDOWN_GRACE_MS}; 0 cuts them at once
 * @param signReceipts   {@value #SIGN_ON_REQUEST} (default: a privacy receipt is signed when the request sends
 *                       {@code x-veil-sign-receipt: true}) or {@value #SIGN_ALWAYS} (every receipt is signed, at about
 *                       40 µs of CPU per answer)
 */
public record ServerConfig(String host, int port, long maxBodyBytes, String adminTokenEnv,
                           List<String> forwardHeaders,
                           long requestHeaderTimeoutMs, long requestBodyTimeoutMs, long idleTimeoutMs,
                           int maxRequestLineBytes, int maxHeaderBytes, long sendTimeoutMs, long bodyMemoryBytes,
                           long shutdownGraceMs, String signReceipts) {

    /** {@code sign_receipts}: sign a receipt when the request asks for it. */
    public static final String SIGN_ON_REQUEST = "on_request";
    /** {@code sign_receipts}: sign every receipt. */
    public static final String SIGN_ALWAYS = "always";

    /** Default bind address: loopback only. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Default port. */
    public static final int DEFAULT_PORT = 8080;
    /** Default request body limit: 16 MiB. */
    public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;
    /** Default name of the environment variable holding the admin token. */
    public static final String DEFAULT_ADMIN_TOKEN_ENV = "VEIL_ADMIN_TOKEN";
    /** Default time for a request's complete headers: 10 s. */
    public static final long DEFAULT_REQUEST_HEADER_TIMEOUT_MS = 10_000;
    /** Default time for a request's whole body: 60 s. */
    public static final long DEFAULT_REQUEST_BODY_TIMEOUT_MS = 60_000;
    /** Default idle timeout of client connections: 10 min, above the upstreams' default of 5 min. */
    public static final long DEFAULT_IDLE_TIMEOUT_MS = 600_000;
    /** Default longest request line: 8 KiB. */
    public static final int DEFAULT_MAX_REQUEST_LINE_BYTES = 8 * 1024;
    /** Default largest request header block: 16 KiB. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
    /** Default wait for a client that takes no bytes of its response: 60 s. */
    public static final long DEFAULT_SEND_TIMEOUT_MS = 60_000;
    /** Default memory for bodies held at once: 0, meaning half the maximum heap. */
    public static final long DEFAULT_BODY_MEMORY_BYTES = 0;
    /** Default time a stopping gateway gives requests in flight: 25 s, within Kubernetes' default 30 s before SIGKILL. */
    public static final long DEFAULT_SHUTDOWN_GRACE_MS = 25_000;

    /**
     * Request headers that are never forwarded to an upstream, whatever {@code forward_headers} says: credentials,
     * client identity, and hop-by-hop headers. Lower-case.
     */
    public static final List<String> NEVER_FORWARDED = List.of(
            "authorization", "cookie", "proxy-authorization", "x-forwarded-for", "x-real-ip", "forwarded",
            "openai-organization", "openai-project", "host", "content-length", "transfer-encoding", "connection",
            // The client's Veil key on /v1/messages, and the version Veil itself sends to Messages upstreams.
            "x-api-key", "anthropic-version");

    /** Applies defaults to the fields left {@code null}; lower-cases, trims and de-duplicates the header names. */
    public ServerConfig {
        host = host == null ? DEFAULT_HOST : host;
        adminTokenEnv = adminTokenEnv == null ? DEFAULT_ADMIN_TOKEN_ENV : adminTokenEnv;
        forwardHeaders = normalizeHeaderNames(forwardHeaders);
        signReceipts = signReceipts == null ? SIGN_ON_REQUEST : signReceipts;
    }

    /** Whether every privacy receipt is signed, asked for or not. */
    public boolean signsEveryReceipt() {
        return SIGN_ALWAYS.equals(signReceipts);
    }

    /** A listener with the default timeouts and limits. */
    public ServerConfig(String host, int port, long maxBodyBytes, String adminTokenEnv, List<String> forwardHeaders) {
        this(host, port, maxBodyBytes, adminTokenEnv, forwardHeaders, DEFAULT_REQUEST_HEADER_TIMEOUT_MS,
                DEFAULT_REQUEST_BODY_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_REQUEST_LINE_BYTES,
                DEFAULT_MAX_HEADER_BYTES, DEFAULT_SEND_TIMEOUT_MS, DEFAULT_BODY_MEMORY_BYTES, DEFAULT_SHUTDOWN_GRACE_MS,
                SIGN_ON_REQUEST);
    }

    /** The listener with every default. */
    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_MAX_BODY_BYTES, DEFAULT_ADMIN_TOKEN_ENV, List.of());
    }

    /** The admin token from {@code env}; empty when the variable is unset or blank (the admin API is then off). */
    public Optional<String> adminToken(Map<String, String> env) {
        return EnvRef.resolve(adminTokenEnv, env);
    }

    private static List<String> normalizeHeaderNames(List<String> names) {
        if (names == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>(names.size());
        for (String name : names) {
            if (name == null) {
                continue;
            }
            String normalized = name.trim().toLowerCase(Locale.ROOT);
            if (!out.contains(normalized)) {
                out.add(normalized);
            }
        }
        return List.copyOf(out);
    }
}
