package dev.veil.protocol.policy;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The one list of which request body fields may leave Veil, per endpoint, used on every path (the gateway's plain,
 * tee and batch paths, and the node on the e2ee path). A top-level field is exactly one of:
 *
 * <ul>
 *   <li><b>forwarded</b>: a documented OpenAI request field of that endpoint, copied as the client wrote it;</li>
 *   <li><b>removed by default</b> ({@link #REMOVED_BY_DEFAULT}): fields that identify the caller or ask the provider to
 *       keep something about them; forwarded only where the operator allows that field on the route;</li>
 *   <li><b>rewritten</b>: {@code model} (the route's upstream name) and {@code store} (forced to {@code false});</li>
 *   <li><b>routing</b> ({@link #ROUTING}): read by Veil, never forwarded;</li>
 *   <li><b>unknown</b>: anything else, refused with 400 {@code unknown_parameter} unless the operator allows it on a
 *       route.</li>
 * </ul>
 *
 * <p>The documented fields are OpenAI's API reference for "Create chat completion", "Create completion" (legacy),
 * "Create embeddings" and "Create a model response" (request body, top level). Which endpoint uses which list is
 * said by its {@link dev.veil.protocol.api.Endpoint} description.
 */
public final class RequestFields {

    /** Identity and storage fields that never leave unless the route's operator allows them by name. */
    public static final Set<String> REMOVED_BY_DEFAULT = Set.of("user", "safety_identifier", "metadata", "prompt_cache_key");

    /** The routing fields Veil reads (all three policy dialects); they never reach an upstream or an engine. */
    public static final Set<String> ROUTING = Set.of("privacy", "provider", "models", "data_policy", "providers");

    /** The field a provider reads as "keep this completion"; always forwarded as {@code false}. */
    public static final String STORE = "store";

    /** Fields that are not "parameters" in the sense of {@code provider.require_parameters}. */
    public static final Set<String> NOT_PARAMETERS = Set.of("model", "stream", "stream_options", "messages", "prompt",
            "input", "instructions");

    /** OpenAI's documented top-level request fields of {@code POST /v1/chat/completions}. */
    public static final Set<String> CHAT_COMPLETIONS = ordered("model", "messages", "audio", "frequency_penalty",
            "function_call", "functions", "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
            "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
            "reasoning_effort", "response_format", "safety_identifier", "seed", "service_tier", "stop", "store",
            "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs", "top_p", "user",
            "verbosity", "web_search_options");

    /** OpenAI's documented top-level request fields of {@code POST /v1/completions} (legacy). */
    public static final Set<String> COMPLETIONS = ordered("model", "prompt", "best_of", "echo", "frequency_penalty",
            "logit_bias", "logprobs", "max_tokens", "n", "presence_penalty", "seed", "stop", "stream", "stream_options",
            "suffix", "temperature", "top_p", "user");

    /** OpenAI's documented top-level request fields of {@code POST /v1/embeddings}. */
    public static final Set<String> EMBEDDINGS = ordered("model", "input", "dimensions", "encoding_format", "user");

    /** OpenAI's documented top-level request fields of {@code POST /v1/responses}. */
    public static final Set<String> RESPONSES = ordered("model", "input", "background", "conversation", "include",
            "instructions", "max_output_tokens", "max_tool_calls", "metadata", "parallel_tool_calls",
            "previous_response_id", "prompt", "prompt_cache_key", "prompt_cache_retention", "reasoning",
            "safety_identifier", "service_tier", "store", "stream", "stream_options", "temperature", "text",
            "tool_choice", "tools", "top_logprobs", "top_p", "truncation", "user");

    /**
     * Fields of {@code POST /v1/responses} that refer to state kept at the provider (an earlier response, a stored
     * conversation, a response computed in the background and fetched later). Veil keeps none and forces
     * {@code store: false}, so a request that sets one (to anything but {@code null}, or {@code false} for
     * {@code background}) is refused with 400.
     */
    public static final Set<String> RESPONSES_STATEFUL = ordered("previous_response_id", "conversation", "background");

    /**
     * Anthropic's documented top-level request fields of {@code POST /v1/messages} ("Create a Message"). Its identity
     * field is {@code metadata} ({@code metadata.user_id}), removed by default like OpenAI's.
     */
    public static final Set<String> MESSAGES = ordered("model", "messages", "max_tokens", "container",
            "context_management", "mcp_servers", "metadata", "service_tier", "stop_sequences", "stream", "system",
            "temperature", "thinking", "tool_choice", "tools", "top_k", "top_p");

    private RequestFields() {
    }

    /**
     * The documented fields of the endpoint at {@code path} ({@code /v1/chat/completions}, {@code /chat/completions},
     * ...; a base path before it is ignored).
     *
     * @throws IllegalArgumentException for a path that is not an inference endpoint
     */
    public static Set<String> documented(String path) {
        // The longest matching suffix wins: /chat/completions, not /completions.
        dev.veil.protocol.api.Endpoint match = null;
        for (dev.veil.protocol.api.Endpoint endpoint : dev.veil.protocol.api.Endpoint.ALL) {
            if (path.endsWith(endpoint.upstreamPath())
                    && (match == null || endpoint.upstreamPath().length() > match.upstreamPath().length())) {
                match = endpoint;
            }
        }
        if (match != null) {
            return match.documented();
        }
        throw new IllegalArgumentException("not an inference endpoint path");
    }

    /** What happens to one top-level field on its way out. */
    public enum Disposition {
        /** Copied as the client wrote it. */
        FORWARD,
        /** Left out (an identity or storage field the route does not allow). */
        REMOVE,
        /** Read by Veil as routing policy, left out. */
        ROUTING,
        /** Forwarded as {@code false}. */
        FORCE_FALSE,
        /** Not a field of this endpoint and not allowed by the route: the request is refused. */
        UNKNOWN
    }

    /**
     * What happens to {@code field} of a request to an endpoint with {@code documented} fields under {@code rules}.
     * ({@code model} is {@link Disposition#FORWARD}: its value is rewritten by whoever sends the body on.)
     */
    public static Disposition disposition(Set<String> documented, String field, ForwardRules rules) {
        return disposition(documented, REMOVED_BY_DEFAULT, field, rules);
    }

    /** What happens to {@code field} of a request to {@code endpoint} under {@code rules}. */
    public static Disposition disposition(dev.veil.protocol.api.Endpoint endpoint, String field, ForwardRules rules) {
        return disposition(endpoint.documented(), endpoint.identityFields(), field, rules);
    }

    private static Disposition disposition(Set<String> documented, Set<String> identity, String field,
                                           ForwardRules rules) {
        if (ROUTING.contains(field)) {
            return Disposition.ROUTING;
        }
        if (field.equals(STORE) && documented.contains(STORE)) {
            return Disposition.FORCE_FALSE;
        }
        if (identity.contains(field)) {
            return rules.allows(field) ? Disposition.FORWARD : Disposition.REMOVE;
        }
        if (documented.contains(field) || rules.allows(field)) {
            return Disposition.FORWARD;
        }
        return Disposition.UNKNOWN;
    }

    /** What a parameter name looks like; only such names are repeated in errors (any other key may be content). */
    private static final java.util.regex.Pattern PARAMETER_NAME = java.util.regex.Pattern.compile("[a-z][a-z0-9_]{0,63}");

    /** The error message for an unknown field, naming it when it looks like a parameter name. */
    public static String unknownFieldMessage(String field, String path) {
        String shown = shown(field);
        return "Unrecognized request argument supplied: " + (shown == null ? "a top-level field that is not a parameter "
                + "of this endpoint" : shown) + ". Veil forwards only the documented fields of " + path
                + " (and fields the operator allows on a route); remove it.";
    }

    /**
     * {@code field} as an error's {@code param}: itself when it looks like a parameter name (lower case, digits and
     * underscores, at most 64 characters), else {@code null}, so that an error never repeats a key that could be
     * content.
     */
    public static String shown(String field) {
        return PARAMETER_NAME.matcher(field).matches() ? field : null;
    }

    private static Set<String> ordered(String... names) {
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(java.util.List.of(names)));
    }
}
