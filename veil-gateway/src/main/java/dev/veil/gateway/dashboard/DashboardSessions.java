package dev.veil.gateway.dashboard;

import dev.veil.store.DashboardSession;
import dev.veil.store.DashboardSessionRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Server-side sessions of the dashboard. A session id is 256 random bits the browser holds in an HttpOnly,
 * SameSite=Strict cookie (Secure when the connection is TLS); the store keeps only its SHA-256, so every gateway
 * instance on the store knows every session and a copy of the database cannot be used to take one over. A session
 * ends at logout or {@link #LIFETIME} after login, whichever comes first.
 *
 * <p>The CSRF token of a session is derived from its id (SHA-256 of a label and the id): nothing more to store, the
 * same on every instance, and it reveals neither the id nor its stored hash. The page receives it from
 * {@code GET /ui/session} and sends it back as {@code X-CSRF-Token} with every state change.
 */
public final class DashboardSessions {

    /** The cookie's name. */
    public static final String COOKIE = "veil_session";
    /** How long a session lasts after login. */
    public static final Duration LIFETIME = Duration.ofHours(8);
    /** The request header that carries the CSRF token. */
    public static final String CSRF_HEADER = "x-csrf-token";

    private static final Pattern ID_SHAPE = Pattern.compile("[A-Za-z0-9_-]{43}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final DashboardSessionRepository store;
    private final WorkerExecutor jdbc;
    private final Clock clock;

    public DashboardSessions(DashboardSessionRepository store, WorkerExecutor jdbc, Clock clock) {
        this.store = store;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** A session just begun: its id (for the cookie, never stored) and its record. */
    public record Started(String id, DashboardSession session) {
    }

    /** Begins a session for {@code role} ({@code keyId} for a key owner); completes once it is stored. */
    public Future<Started> begin(String role, String keyId) {
        byte[] raw = new byte[32];
        RANDOM.nextBytes(raw);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant now = clock.instant();
        DashboardSession session = new DashboardSession(hash(id), role, keyId, now, now.plus(LIFETIME));
        return jdbc.executeBlocking(() -> {
            store.insert(session);
            return new Started(id, session);
        }, false);
    }

    /**
     * The session the request's cookie names: empty when there is no cookie; a failed future with 401
     * {@code invalid_session} when the cookie is malformed, unknown or expired.
     */
    public Future<Optional<Resolved>> resolve(HttpServerRequest request) {
        String id = cookie(request);
        if (id == null) {
            return Future.succeededFuture(Optional.empty());
        }
        if (!ID_SHAPE.matcher(id).matches()) {
            return Future.failedFuture(DashboardErrors.invalidSession());
        }
        return jdbc.executeBlocking(() -> store.findLive(hash(id), clock.instant()), false).compose(found -> found
                .map(s -> Future.succeededFuture(Optional.of(new Resolved(id, s))))
                .orElseGet(() -> Future.failedFuture(DashboardErrors.invalidSession())));
    }

    /** A session found for a request, with the id its cookie carried. */
    public record Resolved(String id, DashboardSession session) {

        /** Whether {@code presented} is this session's CSRF token (constant time). */
        public boolean csrfMatches(String presented) {
            return presented != null && MessageDigest.isEqual(presented.getBytes(StandardCharsets.US_ASCII),
                    csrfToken(id).getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** Ends the session with this id (logout). */
    public Future<Boolean> end(String id) {
        return jdbc.executeBlocking(() -> store.delete(hash(id)), false);
    }

    /** The cookie value the request carries, or {@code null}. */
    public static String cookie(HttpServerRequest request) {
        Cookie cookie = request.getCookie(COOKIE);
        return cookie == null || cookie.getValue().isEmpty() ? null : cookie.getValue();
    }

    /** The CSRF token of the session with this id. */
    public static String csrfToken(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                sha256(("veil dashboard csrf v1\n" + id).getBytes(StandardCharsets.US_ASCII)));
    }

    /** The cookie that hands a new session to the browser. */
    public static Cookie sessionCookie(String id, HttpServerRequest request) {
        return Cookie.cookie(COOKIE, id).setPath("/").setHttpOnly(true).setSameSite(CookieSameSite.STRICT)
                .setSecure(secure(request)).setMaxAge(LIFETIME.toSeconds());
    }

    /** The cookie that makes the browser forget its session. */
    public static Cookie clearingCookie(HttpServerRequest request) {
        return Cookie.cookie(COOKIE, "").setPath("/").setHttpOnly(true).setSameSite(CookieSameSite.STRICT)
                .setSecure(secure(request)).setMaxAge(0);
    }

    /**
     * Secure when the browser reached Veil over TLS: directly, or through a TLS-terminating proxy that says so (a
     * spoofed header only makes the cookie stricter).
     */
    private static boolean secure(HttpServerRequest request) {
        return request.isSSL() || "https".equalsIgnoreCase(request.getHeader("x-forwarded-proto"));
    }

    static String hash(String id) {
        return HexFormat.of().formatHex(sha256(id.getBytes(StandardCharsets.US_ASCII)));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
