package dev.veil.protocol.translate;

import dev.veil.protocol.api.Endpoint;

/**
 * Which endpoints Veil can serve through another API family, for upstreams that do not speak theirs natively: the
 * Responses API through chat completions ({@link ResponsesToChat}, {@link ChatToResponsesStream}), and Anthropic's
 * Messages API through chat completions (the gateway's {@code anthropic} package).
 */
public final class Translations {

    private Translations() {
    }

    /** The API family {@code endpoint} can be translated to, or {@code null} when it is served natively only. */
    public static String via(Endpoint endpoint) {
        return endpoint == Endpoint.RESPONSES || endpoint == Endpoint.MESSAGES ? Endpoint.API_CHAT : null;
    }
}
