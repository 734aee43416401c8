package dev.veil.protocol.api;

import dev.veil.protocol.policy.RequestFields;
import java.util.List;
import java.util.Set;

/**
 * One inference endpoint Veil serves, described once: everything the gateway's dispatch, inspector, rewriter, relay,
 * metering and batch runner, the node and the command line need to know about it. They read this description instead
 * of switching on paths or names, so adding an endpoint is one more constant here (and in {@link #ALL}) plus the code
 * that only that endpoint has (see docs/architecture.md, "Adding an endpoint").
 *
 * @param label           a fixed, content-free name for metrics and the request log, e.g. {@code chat.completions}
 * @param path            the client-facing path, e.g. {@code /v1/chat/completions}
 * @param upstreamPath    the path appended to an upstream's base URL, e.g. {@code /chat/completions}
 * @param api             the upstream API family that serves it natively ({@link #API_CHAT}, {@link #API_RESPONSES}
 *                        ...); an upstream lists the families it speaks in its {@code apis} configuration
 * @param content         the required field that carries the content, and the JSON shapes it may take
 * @param documented      the documented top-level request fields (see {@link RequestFields})
 * @param identityFields  fields that identify the caller or ask the provider to keep something, removed unless the
 *                        route's operator allows them by name
 * @param statelessFields fields that only make sense with state kept at the provider; a request that sets one is
 *                        refused with 400 (Veil keeps no conversation state)
 * @param requiredCounts  required fields besides {@code model} and the content that must be integers of at least 1,
 *                        e.g. the Messages API's {@code max_tokens}
 * @param streaming       how its streams end and where their usage is; {@code null} when it does not stream
 * @param usage           the names of the token counts in its usage object
 * @param batch           whether the Batch API accepts it as a batch's {@code endpoint}
 * @param e2ee            whether Veil nodes serve it end to end encrypted
 * @param errors          the shape its errors take
 */
public record Endpoint(String label, String path, String upstreamPath, String api, Content content,
                       Set<String> documented, Set<String> identityFields, Set<String> statelessFields,
                       Set<String> requiredCounts, Streaming streaming, UsageFields usage, boolean batch, boolean e2ee, ErrorShape errors) {

    /** The classic OpenAI API family: chat completions, completions, embeddings. Every upstream speaks it by default. */
    public static final String API_CHAT = "chat";
    /** OpenAI's Responses API. */
    public static final String API_RESPONSES = "responses";
    /** Anthropic's Messages API; an upstream that speaks it gets the credential as {@code x-api-key}. */
    public static final String API_MESSAGES = "messages";

    /** How an endpoint's streams end and where their usage is. */
    public record Streaming(String doneSentinel, Set<String> terminalEvents, Placement usagePlacement,
                            boolean requestUsage) {

        /** Where the usage of a stream is. */
        public enum Placement {
            /** The top-level {@code usage} of a chunk (chat's final chunk has empty {@code choices}). */
            CHUNK,
            /** The {@code usage} of the {@code response} object of the terminal event. */
            TERMINAL_EVENT_RESPONSE,
            /**
             * Anthropic's Messages stream: the input count in {@code message_start}'s {@code message.usage}, the
             * output count (cumulative) in {@code message_delta}'s top-level {@code usage}.
             */
            MESSAGE_START_AND_DELTA
        }

        /**
         * OpenAI's chat-style stream: events carry no type, the stream ends with {@code data: [DONE]}, the usage is
         * in a final chunk that must be asked for with {@code stream_options.include_usage}.
         */
        public static final Streaming DONE_SENTINEL = new Streaming("[DONE]", Set.of(), Placement.CHUNK, true);

        /**
         * A stream of typed events that ends with one of {@code terminalEvents} (no {@code [DONE]}), whose
         * {@code response} object carries the usage; nothing needs asking for.
         */
        public static Streaming typedEvents(Set<String> terminalEvents) {
            return new Streaming(null, Set.copyOf(terminalEvents), Placement.TERMINAL_EVENT_RESPONSE, false);
        }

        /**
         * Anthropic's Messages stream: typed events that end with {@code message_stop} (or an {@code error} event),
         * the usage in {@code message_start} and {@code message_delta}; nothing needs asking for.
         */
        public static final Streaming MESSAGES = new Streaming(null, Set.of("message_stop", "error"),
                Placement.MESSAGE_START_AND_DELTA, false);

        /** Whether the stream ends with a sentinel data line rather than a typed terminal event. */
        public boolean endsWithSentinel() {
            return doneSentinel != null;
        }
    }

    /** The names of the input and output token counts in an endpoint's {@code usage} object. */
    public record UsageFields(String input, String output) {
        /** Chat completions, completions and embeddings. */
        public static final UsageFields PROMPT_COMPLETION = new UsageFields("prompt_tokens", "completion_tokens");
        /** The Responses API (and Anthropic's Messages API). */
        public static final UsageFields INPUT_OUTPUT = new UsageFields("input_tokens", "output_tokens");
    }

    /** The required content field and the JSON shapes it accepts. */
    public record Content(String field, boolean string, boolean array, String expected) {
        /** An array only, e.g. chat's {@code messages}. */
        public static Content array(String field, String expected) {
            return new Content(field, false, true, expected);
        }

        /** A string or an array, e.g. {@code prompt}, {@code input}. */
        public static Content stringOrArray(String field) {
            return new Content(field, true, true, "a string or an array");
        }
    }

    /** The shape of an endpoint's errors, in answers and inside streams. */
    public enum ErrorShape {
        /** OpenAI's {@code {"error": {...}}}; a stream error is a {@code data:} event with that object. */
        OPENAI,
        /**
         * OpenAI's shape for HTTP errors; a stream error is the Responses API's typed event
         * ({@code event: error}, {@code {"type":"error","code":...,"message":...,"param":...,"sequence_number":n}}).
         */
        OPENAI_RESPONSES,
        /**
         * Anthropic's {@code {"type":"error","error":{"type":...,"message":...}}} for HTTP errors (with Anthropic's
         * error types, e.g. {@code permission_error}, {@code overloaded_error}); a stream error is an
         * {@code event: error} with that object.
         */
        ANTHROPIC
    }

    public static final Endpoint CHAT_COMPLETIONS = new Endpoint("chat.completions", "/v1/chat/completions",
            "/chat/completions", API_CHAT, Content.array("messages", "an array of message objects"),
            RequestFields.CHAT_COMPLETIONS, RequestFields.REMOVED_BY_DEFAULT, Set.of(), Set.of(), Streaming.DONE_SENTINEL,
            UsageFields.PROMPT_COMPLETION, true, true, ErrorShape.OPENAI);

    public static final Endpoint COMPLETIONS = new Endpoint("completions", "/v1/completions", "/completions", API_CHAT,
            Content.stringOrArray("prompt"), RequestFields.COMPLETIONS, RequestFields.REMOVED_BY_DEFAULT, Set.of(),
            Set.of(), Streaming.DONE_SENTINEL, UsageFields.PROMPT_COMPLETION, true, true, ErrorShape.OPENAI);

    public static final Endpoint EMBEDDINGS = new Endpoint("embeddings", "/v1/embeddings", "/embeddings", API_CHAT,
            Content.stringOrArray("input"), RequestFields.EMBEDDINGS, RequestFields.REMOVED_BY_DEFAULT, Set.of(), Set.of(),
            null,
            UsageFields.PROMPT_COMPLETION, true, true, ErrorShape.OPENAI);

    /**
     * OpenAI's Responses API. Veil is stateless: {@code store} is forced to false, and the fields that refer to state
     * kept at the provider ({@code previous_response_id}, {@code conversation}, {@code background}) are refused.
     * Served end to end encrypted by Veil nodes: natively when the node's engine speaks it, else translated to chat
     * completions inside the node.
     */
    public static final Endpoint RESPONSES = new Endpoint("responses", "/v1/responses", "/responses", API_RESPONSES,
            Content.stringOrArray("input"), RequestFields.RESPONSES, RequestFields.REMOVED_BY_DEFAULT,
            RequestFields.RESPONSES_STATEFUL, Set.of(),
            Streaming.typedEvents(Set.of("response.completed", "response.incomplete", "response.failed", "error")),
            UsageFields.INPUT_OUTPUT, true, true, ErrorShape.OPENAI_RESPONSES);

    /**
     * Anthropic's Messages API ({@code POST /v1/messages}), served by the gateway's {@code anthropic} package: natively
     * to upstreams whose {@code apis} include {@code messages}, translated to chat completions for the others.
     * {@code max_tokens} is required; {@code metadata} ({@code metadata.user_id}) is its identity field. No batches
     * (OpenAI's Batch API does not list it); e2ee through Veil nodes, natively or translated inside the node.
     */
    public static final Endpoint MESSAGES = new Endpoint("messages", "/v1/messages", "/messages", API_MESSAGES,
            Content.array("messages", "an array of message objects"), RequestFields.MESSAGES,
            RequestFields.REMOVED_BY_DEFAULT, Set.of(), Set.of("max_tokens"), Streaming.MESSAGES, UsageFields.INPUT_OUTPUT, false, true,
            ErrorShape.ANTHROPIC);

    /** Every endpoint Veil serves. */
    public static final List<Endpoint> ALL = List.of(CHAT_COMPLETIONS, COMPLETIONS, EMBEDDINGS, RESPONSES, MESSAGES);

    /** Whether {@code stream: true} is accepted. */
    public boolean streamable() {
        return streaming != null;
    }

    /** The required content field (messages, prompt, input). */
    public String contentField() {
        return content.field();
    }

    /** Whether {@code store} is one of its fields, always forwarded as false. */
    public boolean forcesStoreFalse() {
        return documented.contains(RequestFields.STORE);
    }

    /** The endpoint whose client-facing path is {@code path} exactly, or {@code null}. */
    public static Endpoint byPath(String path) {
        for (Endpoint endpoint : ALL) {
            if (endpoint.path.equals(path)) {
                return endpoint;
            }
        }
        return null;
    }

    /** The endpoint labelled {@code label}, or {@code null}. */
    public static Endpoint byLabel(String label) {
        for (Endpoint endpoint : ALL) {
            if (endpoint.label.equals(label)) {
                return endpoint;
            }
        }
        return null;
    }

    /** The client-facing paths of the endpoints {@code which} accepts, comma separated, for error messages. */
    public static String paths(java.util.function.Predicate<Endpoint> which) {
        StringBuilder out = new StringBuilder();
        for (Endpoint endpoint : ALL) {
            if (which.test(endpoint)) {
                out.append(out.isEmpty() ? "" : ", ").append(endpoint.path);
            }
        }
        return out.toString();
    }
}
