package dev.veil.gateway.auth;

import dev.veil.protocol.OpenAiError;

/**
 * A request whose API key could not be accepted: the OpenAI-shaped 401 for a missing, unknown or revoked key, or a
 * 503 with a retry hint when the key could not be looked up because the store is unreachable (and the key was not
 * seen recently enough to be served from memory). No stack trace, as this is control flow.
 */
public final class AuthenticationException extends Exception {
    /** Seconds a client should wait before retrying when the store is unreachable. */
    static final int STORE_RETRY_AFTER_SECONDS = 5;

    private final transient OpenAiError error;
    private final int retryAfterSeconds;

    AuthenticationException(String message, String code) {
        this(new OpenAiError(401, message, OpenAiError.AUTHENTICATION, null, code), 0);
    }

    private AuthenticationException(OpenAiError error, int retryAfterSeconds) {
        super(error.message(), null, false, false);
        this.error = error;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** The key store could not be reached to check the key. */
    static AuthenticationException storeUnavailable() {
        return new AuthenticationException(new OpenAiError(503, "The gateway cannot reach its key store right now to "
                + "check this API key; retry shortly.", OpenAiError.SERVER, null, "store_unavailable"),
                STORE_RETRY_AFTER_SECONDS);
    }

    public OpenAiError error() {
        return error;
    }

    /** Seconds for a {@code Retry-After} header, or 0 when retrying the same request cannot help. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
