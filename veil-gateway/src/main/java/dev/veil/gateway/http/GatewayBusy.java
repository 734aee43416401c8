package dev.veil.gateway.http;

import dev.veil.protocol.OpenAiError;

/**
 * The answer when the gateway itself is short of room: the bodies held in memory across all connections have used
 * their budget ({@link dev.veil.http.MemoryBudget}). Nothing is wrong with the request or the upstream, so the client
 * gets 503 with {@code Retry-After} and no route is blamed.
 */
public final class GatewayBusy {

    /** The code of the error. */
    public static final String CODE = "gateway_busy";
    /** The {@code Retry-After} sent with it, in seconds. */
    public static final String RETRY_AFTER_SECONDS = "1";

    private GatewayBusy() {
    }

    /** The 503 error, in OpenAI's shape. */
    public static OpenAiError error() {
        return new OpenAiError(503, "The gateway is holding as many request and answer bodies as its memory allows; "
                + "retry after " + RETRY_AFTER_SECONDS + " s.", OpenAiError.SERVER, null, CODE);
    }
}
