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
     * and Veil does not translate it to another API. Retrying cannot help; another model, or another endpoint, can.
     */
    public static OpenAiError notServed(Endpoint endpoint) {
        return OpenAiError.invalidRequest("No route of this model can serve " + endpoint.path() + ": none of its "
                + "upstreams speaks the " + endpoint.api() + " API, and Veil does not translate " + endpoint.path()
                + " to another API. Use a model whose upstream speaks it (GET /v1/models shows each model's APIs under "
                + "\"endpoints\"), or send the request to the endpoint the model's upstream speaks.", "model", CODE);
    }
}
