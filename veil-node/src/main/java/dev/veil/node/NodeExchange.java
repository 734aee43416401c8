package dev.veil.node;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's metadata, for the single log line it ends with: id, path, status, duration. Never content: not the
 * body, not a header other than the request id, not an exception message.
 */
final class NodeExchange {

    /** The status logged for a client that left before its response ended (nginx's convention). */
    static final int CLIENT_CLOSED = 499;

    private static final Logger LOG = LoggerFactory.getLogger("dev.veil.node.requests");
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private final HttpServerRequest request;
    private final String requestId;
    private final String path;
    private final long startNanos = System.nanoTime();
    private boolean completed;
    private GatewayCredentials.Signed signed;

    NodeExchange(HttpServerRequest request) {
        this.request = request;
        // Reuse the gateway's id when it sends a plain one, so both logs line up; anything else is replaced.
        String given = request.getHeader("x-request-id");
        this.requestId = given != null && SAFE_ID.matcher(given).matches() ? given : newRequestId();
        this.path = request.path();
    }

    HttpServerRequest request() {
        return request;
    }

    HttpServerResponse response() {
        return request.response();
    }

    String requestId() {
        return requestId;
    }

    String path() {
        return path;
    }

    /** The gateway signature still to verify against the body, or null (none required, or already verified). */
    GatewayCredentials.Signed signed() {
        return signed;
    }

    void signed(GatewayCredentials.Signed signed) {
        this.signed = signed;
    }

    /** Logs the outcome once. */
    void complete(int status) {
        complete(status, -1);
    }

    /**
     * Logs the outcome once.
     *
     * @param engineStatus the engine's status sealed inside an e2ee response, or -1
     */
    void complete(int status, int engineStatus) {
        if (completed) {
            return;
        }
        completed = true;
        long ms = (System.nanoTime() - startNanos) / 1_000_000;
        if (engineStatus >= 0) {
            LOG.info("request_id={} path={} status={} engine_status={} ms={}", requestId, path, status, engineStatus, ms);
        } else if (path.startsWith("/v1/") && !path.equals("/v1/attestation")) {
            LOG.info("request_id={} path={} status={} ms={}", requestId, path, status, ms);
        } else {
            LOG.debug("request_id={} path={} status={} ms={}", requestId, path, status, ms);
        }
    }

    static String newRequestId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "node_" + Long.toHexString(random.nextLong() | Long.MIN_VALUE)
                + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    }
}
