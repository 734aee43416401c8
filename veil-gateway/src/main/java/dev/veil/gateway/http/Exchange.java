package dev.veil.gateway.http;

import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.routing.Route;
import dev.veil.store.ApiKeyRecord;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.time.Instant;

/**
 * One client request on its way through Veil, and the metadata that will be metered when it completes. It holds no
 * content: bodies live only in the handler that needs them.
 */
public final class Exchange {

    /** Status recorded when the client went away before the response was complete (as nginx does). */
    public static final int CLIENT_CLOSED = 499;

    private final HttpServerRequest request;
    private final String requestId;
    private final long startNanos = System.nanoTime();
    private final Instant startedAt = Instant.now();

    private String endpoint = "other";
    private ApiKeyRecord key;
    private String model;
    private Route route;
    private long firstTokenNanos = -1;
    private Usage usage = Usage.NONE;
    private boolean completed;

    Exchange(HttpServerRequest request, String requestId) {
        this.request = request;
        this.requestId = requestId;
    }

    public HttpServerRequest request() {
        return request;
    }

    public HttpServerResponse response() {
        return request.response();
    }

    public String requestId() {
        return requestId;
    }

    public Instant startedAt() {
        return startedAt;
    }

    public long startNanos() {
        return startNanos;
    }

    /** A fixed endpoint label such as {@code chat.completions}; never the raw path. */
    public String endpoint() {
        return endpoint;
    }

    public void endpoint(String label) {
        this.endpoint = label;
    }

    /** The authenticated key, or {@code null} before authentication or when it failed. */
    public ApiKeyRecord key() {
        return key;
    }

    public void key(ApiKeyRecord key) {
        this.key = key;
    }

    /** The public id of a configured model the request asked for, or {@code null} when unknown. */
    public String model() {
        return model;
    }

    public void model(String model) {
        this.model = model;
    }

    public Route route() {
        return route;
    }

    public void route(Route route) {
        this.route = route;
    }

    /** Marks the arrival of the first token (the first streamed event), once. */
    public void firstToken() {
        if (firstTokenNanos < 0) {
            firstTokenNanos = System.nanoTime();
        }
    }

    /** Nanoseconds from arrival to the first token, or -1 when none was streamed. */
    public long timeToFirstTokenNanos() {
        return firstTokenNanos < 0 ? -1 : firstTokenNanos - startNanos;
    }

    public Usage usage() {
        return usage;
    }

    public void usage(Usage usage) {
        this.usage = usage == null ? Usage.NONE : usage;
    }

    /** Returns true exactly once: the first caller meters the request. */
    public boolean markCompleted() {
        if (completed) {
            return false;
        }
        completed = true;
        return true;
    }
}
