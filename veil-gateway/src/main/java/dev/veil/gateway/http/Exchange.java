package dev.veil.gateway.http;

import dev.veil.gateway.limits.Lease;
import dev.veil.gateway.metering.MetadataMinimisation;
import dev.veil.gateway.metering.RequestIds;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.RequestLogMode;
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
    private final MetadataMinimisation minimisation;
    private String requestId;
    private final long startNanos = System.nanoTime();
    private final Instant startedAt = Instant.now();

    private String endpoint = "other";
    private ApiKeyRecord key;
    private String model;
    private Route route;
    private long firstTokenNanos = -1;
    private Usage usage = Usage.NONE;
    private boolean completed;
    private Lease lease = Lease.NONE;

    /**
     * Starts an exchange with a request id for its arrival second; once the key is known the id may be replaced by a
     * coarser one ({@link #key(ApiKeyRecord)}).
     *
     * @param minimisation what the request log keeps per key, which also decides the id once the key is known
     */
    Exchange(HttpServerRequest request, MetadataMinimisation minimisation) {
        this.request = request;
        this.minimisation = minimisation;
        this.requestId = RequestIds.at(RequestLogMode.FULL, startedAt.toEpochMilli());
    }

    public HttpServerRequest request() {
        return request;
    }

    public HttpServerResponse response() {
        return request.response();
    }

    /** The request's id; once the key is known, with no finer time than the key's request log keeps. */
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

    /**
     * Sets the authenticated key. A key whose request log keeps a coarser time than the second gets a new request id
     * carrying only that time, here, before anything of the response is sent, so neither the {@code x-request-id}
     * header nor the row nor the receipt ever shows the finer one.
     */
    public void key(ApiKeyRecord key) {
        this.key = key;
        if (key != null && minimisation.mode(key) != RequestLogMode.FULL) {
            requestId = minimisation.requestId(key, startedAt.toEpochMilli());
            request.response().headers().set(HeaderNames.REQUEST_ID, requestId);
        }
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
    /**
     * Holds the in-flight slot the request was admitted with, until {@link #releaseLease()}; an exchange that already
     * completed (its client left during admission) gives it back at once.
     */
    public void lease(Lease lease) {
        this.lease = lease == null ? Lease.NONE : lease;
        if (completed) {
            releaseLease();
        }
    }

    /** Gives back the request's in-flight slot, if it holds one. */
    public void releaseLease() {
        Lease held = lease;
        lease = Lease.NONE;
        held.release();
    }

    public boolean markCompleted() {
        if (completed) {
            return false;
        }
        completed = true;
        return true;
    }
}
