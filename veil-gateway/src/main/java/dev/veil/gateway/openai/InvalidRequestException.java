package dev.veil.gateway.openai;

import dev.veil.protocol.OpenAiError;

/**
 * A client request Veil refuses. Its message is written by Veil and never quotes request content; stack traces are
 * not captured because this is control flow, not a fault.
 */
public final class InvalidRequestException extends Exception {
    private final transient OpenAiError error;

    public InvalidRequestException(OpenAiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    /** The OpenAI-shaped error to answer with. */
    public OpenAiError error() {
        return error;
    }

    static InvalidRequestException invalid(String message, String param, String code) {
        return new InvalidRequestException(OpenAiError.invalidRequest(message, param, code));
    }
}
