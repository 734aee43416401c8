package dev.veil.gateway.policy;

import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.api.Endpoint;

/** The refusal of a request whose model has no route whose upstream speaks the endpoint's API. */
public final class EndpointSupport {

    /** The error code of {@link #notServed(Endpoint)}. */
    public static final String CODE = "unsupported_endpoint";

    private EndpointSupport() {
    }

    /**
     * 400 naming the endpoint: none of the model's upstreams declares its API ({@code apis} in the configuration),
     * and none can be reached through a translation. Retrying cannot help; another model, or another endpoint, can.
     */
    public static OpenAiError notServed(Endpoint endpoint) {
        return OpenAiError.invalidRequest("No route of this model can serve " + endpoint.path() + ": none of its "
                + "upstreams speaks the " + endpoint.api() + " API, and Veil cannot translate it for them. Use a model "
                + "whose upstream speaks it (GET /v1/models shows each model's endpoints), or send the request to the "
                + "endpoint the model's upstream speaks.", "model", CODE);
    }

    /**
     * 400 naming the part of the request that stops its translation: the model's upstreams speak only chat
     * completions, and {@code field} has no chat-completions equivalent.
     */
    public static OpenAiError untranslatable(Endpoint endpoint, String field) {
        return OpenAiError.invalidRequest("This model's upstreams speak only chat completions, so Veil translates "
                + endpoint.path() + " for them, and \"" + field + "\" has no chat-completions equivalent. Leave it out, "
                + "or use a model whose upstream speaks the " + endpoint.api() + " API natively (GET /v1/models shows "
                + "each model's endpoints).", field, UNTRANSLATABLE);
    }

    /** The error code of {@link #untranslatable(Endpoint, String)}. */
    public static final String UNTRANSLATABLE = "untranslatable_request";
}
