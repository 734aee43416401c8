package dev.veil.gateway.routing;

import java.net.URI;
import java.util.Map;
import java.util.Optional;

/**
 * An OpenAI-compatible server Veil forwards to, with its own credential. The credential is resolved from the
 * environment at start-up and never printed: {@link #toString()} leaves it out.
 *
 * @param name           the operator's name for it
 * @param baseUrl        its base URL including the API prefix, e.g. {@code http://127.0.0.1:8000/v1}
 * @param bearerToken    the credential Veil sends as {@code Authorization: Bearer}, if any
 * @param staticHeaders  non-secret headers the operator wants sent on every request
 * @param connectTimeoutMs how long to wait for a connection
 * @param idleTimeoutMs  the longest silence allowed while waiting for or reading a response
 * @param maxConnections the connection pool size
 * @param node           whether this is an attested Veil node spoken to with e2ee
 * @param poolWaitTimeoutMs how long a request may wait for a pooled connection (a local wait, not an upstream failure)
 * @param maxWaitQueue   how many requests may wait for a pooled connection
 * @param maxResponseBytes the largest whole answer read
 * @param maxErrorBytes  how much of an error answer is read
 * @param maxEventBytes  the largest single server-sent event
 * @param apis           the API families it speaks natively ({@link dev.veil.protocol.api.Endpoint#api()}: {@code chat},
 *                       {@code responses}, {@code messages})
 */
public record Upstream(String name, URI baseUrl, Optional<String> bearerToken, Map<String, String> staticHeaders,
                       long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node,
                       long poolWaitTimeoutMs, int maxWaitQueue, long maxResponseBytes, long maxErrorBytes,
                       int maxEventBytes, java.util.Set<String> apis) {

    /** An upstream speaking only the chat API family. */
    public Upstream(String name, URI baseUrl, Optional<String> bearerToken, Map<String, String> staticHeaders,
                    long connectTimeoutMs, long idleTimeoutMs, int maxConnections, boolean node,
                    long poolWaitTimeoutMs, int maxWaitQueue, long maxResponseBytes, long maxErrorBytes,
                    int maxEventBytes) {
        this(name, baseUrl, bearerToken, staticHeaders, connectTimeoutMs, idleTimeoutMs, maxConnections, node,
                poolWaitTimeoutMs, maxWaitQueue, maxResponseBytes, maxErrorBytes, maxEventBytes,
                java.util.Set.of(dev.veil.protocol.api.Endpoint.API_CHAT));
    }

    /** Whether it speaks {@code api} natively. */
    public boolean speaks(String api) {
        return apis.contains(api);
    }

    /** Whether the connection uses TLS. */
    public boolean ssl() {
        return "https".equalsIgnoreCase(baseUrl.getScheme());
    }

    /** The TCP port, defaulting by scheme. */
    public int port() {
        return baseUrl.getPort() > 0 ? baseUrl.getPort() : (ssl() ? 443 : 80);
    }

    /** The base path without a trailing slash, e.g. {@code /v1}. */
    public String basePath() {
        String path = baseUrl.getRawPath() == null ? "" : baseUrl.getRawPath();
        return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    @Override
    public String toString() {
        return "Upstream[" + name + " " + baseUrl + (bearerToken.isPresent() ? " with credential" : "") + "]";
    }
}
