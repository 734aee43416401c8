package dev.veil.gateway.openai;

import dev.veil.protocol.api.Endpoint;

/**
 * What Veil needs to know about a validated inference request body; the body itself stays opaque bytes.
 *
 * @param endpoint          which endpoint it was sent to
 * @param model             the public model id the client asked for
 * @param stream            whether the client asked for a server-sent event stream
 * @param clientWantsUsage  whether the client itself asked for the final usage chunk ({@code stream_options.include_usage})
 * @param policy            what the request asks of routing ({@code privacy}, {@code provider}, {@code models} ...)
 */
public record InferenceRequest(Endpoint endpoint, String model, boolean stream, boolean clientWantsUsage,
                               dev.veil.protocol.policy.RequestPolicy policy) {

    /** Model ids are short; a longer value is refused before it is looked up. */
    public static final int MAX_MODEL_ID_LENGTH = 256;
}
