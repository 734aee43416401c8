package dev.veil.gateway.auth;

import dev.veil.store.ApiKeyRecord;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerRequest;

/** Finds the API key a request is made with; fails with an OpenAI-shaped 401 or 403 when there is none. */
@FunctionalInterface
public interface RequestKeys {

    /** The request's key: from its {@code Authorization} header (or, where allowed, a dashboard session). */
    Future<ApiKeyRecord> key(HttpServerRequest request);
}
