package dev.veil.gateway.auth;

import dev.veil.protocol.OpenAiError;

/** A request without a valid API key. Carries the OpenAI-shaped 401; no stack trace, as this is control flow. */
public final class AuthenticationException extends Exception {
    private final transient OpenAiError error;

    AuthenticationException(String message, String code) {
        super(message, null, false, false);
        this.error = new OpenAiError(401, message, OpenAiError.AUTHENTICATION, null, code);
    }

    public OpenAiError error() {
        return error;
    }
}
