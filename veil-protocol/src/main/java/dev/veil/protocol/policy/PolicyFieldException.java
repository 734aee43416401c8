package dev.veil.protocol.policy;

import dev.veil.protocol.OpenAiError;

/**
 * A routing field of a request ({@code privacy}, {@code provider}, {@code models}, {@code data_policy},
 * {@code providers}) is malformed: a 400 naming the field, never quoting its value. No stack trace: control flow.
 */
public final class PolicyFieldException extends Exception {
    private final transient OpenAiError error;

    public PolicyFieldException(OpenAiError error) {
        super(error.message(), null, false, false);
        this.error = error;
    }

    /** The OpenAI-shaped 400 to answer with. */
    public OpenAiError error() {
        return error;
    }
}
