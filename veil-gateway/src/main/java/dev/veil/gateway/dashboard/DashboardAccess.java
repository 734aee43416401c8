package dev.veil.gateway.dashboard;

import dev.veil.gateway.admin.AdminApi;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.auth.RequestKeys;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.store.ApiKeyRecord;
import dev.veil.store.ApiKeyRepository;
import dev.veil.store.DashboardSession;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Optional;

/**
 * Who may call what: the operator (the admin token as a bearer token, or an operator's dashboard session) and a key
 * owner (the API key as a bearer token, or a key owner's dashboard session, which only reads). A request that carries an
 * {@code Authorization} header is judged by it alone. A dashboard session is a cookie the browser sends by itself, so
 * every change made with one must also carry the session's CSRF token.
 */
public final class DashboardAccess implements RequestKeys {

    /** The paths where a key owner's session stands for its key: reads of the key's own metadata. */
    static final java.util.Set<String> SESSION_READABLE = java.util.Set.of("/v1/key", "/v1/usage", "/v1/models");

    private final AdminApi admin;
    private final KeyAuthenticator authenticator;
    private final DashboardSessions sessions;
    private final ApiKeyRepository keys;
    private final WorkerExecutor jdbc;

    public DashboardAccess(AdminApi admin, KeyAuthenticator authenticator, DashboardSessions sessions,
                           ApiKeyRepository keys, WorkerExecutor jdbc) {
        this.admin = admin;
        this.authenticator = authenticator;
        this.sessions = sessions;
        this.keys = keys;
        this.jdbc = jdbc;
    }

    /** The sessions this access control reads. */
    public DashboardSessions sessions() {
        return sessions;
    }

    /** The admin API, whose token the operator logs in with. */
    AdminApi admin() {
        return admin;
    }

    /**
     * Succeeds when the request is the operator's: the admin token as bearer token, or an operator session (with its
     * CSRF token unless the method only reads). Fails with the OpenAI-shaped 401 or 403 otherwise.
     */
    public Future<Void> operator(HttpServerRequest request) {
        String authorization = request.getHeader("authorization");
        if (authorization != null || DashboardSessions.cookie(request) == null) {
            return admin.authorize(authorization).<Future<Void>>map(e -> Future.failedFuture(new InvalidRequestException(e)))
                    .orElseGet(Future::succeededFuture);
        }
        var disabled = admin.disabled();
        if (disabled.isPresent()) {
            return Future.failedFuture(new InvalidRequestException(disabled.get()));
        }
        return sessions.resolve(request).compose(found -> {
            DashboardSessions.Resolved resolved = found.orElseThrow();
            if (!DashboardSession.OPERATOR.equals(resolved.session().role())) {
                return Future.failedFuture(DashboardErrors.operatorOnly());
            }
            if (changes(request) && !resolved.csrfMatches(request.getHeader(DashboardSessions.CSRF_HEADER))) {
                return Future.failedFuture(DashboardErrors.csrf());
            }
            return Future.succeededFuture();
        });
    }

    /**
     * The request's API key: from its {@code Authorization} header; without one, for a read of the key's own metadata
     * ({@link #SESSION_READABLE}), from a key owner's dashboard session (an operator's session has no key: 403
     * {@code key_owner_only}). A session never reaches files or batch results, nor changes anything.
     */
    @Override
    public Future<ApiKeyRecord> key(HttpServerRequest request) {
        String authorization = request.getHeader("authorization");
        if (authorization != null || changes(request) || !SESSION_READABLE.contains(request.path())
                || DashboardSessions.cookie(request) == null) {
            return authenticator.authenticate(authorization);
        }
        return sessions.resolve(request).compose(found -> {
            DashboardSession session = found.orElseThrow().session();
            if (!DashboardSession.KEY_OWNER.equals(session.role())) {
                return Future.failedFuture(DashboardErrors.keyOwnerOnly());
            }
            return jdbc.<Optional<ApiKeyRecord>>executeBlocking(() -> keys.findById(session.keyId()), false)
                    .compose(key -> key.filter(ApiKeyRecord::active).map(Future::succeededFuture)
                            // The key was revoked since login: the session goes with it.
                            .orElseGet(() -> Future.failedFuture(DashboardErrors.invalidSession())));
        });
    }

    private static boolean changes(HttpServerRequest request) {
        return request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD;
    }
}
