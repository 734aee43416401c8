package dev.veil.gateway.openai;

/** The inference endpoints Veil relays (OpenAI's, and Anthropic's Messages API); the path is relative to an upstream's base URL. */
public enum Endpoint {
    CHAT_COMPLETIONS("chat.completions", "/chat/completions", true, "messages"),
    COMPLETIONS("completions", "/completions", true, "prompt"),
    EMBEDDINGS("embeddings", "/embeddings", false, "input"),
    /** Anthropic's Messages API ({@code POST /v1/messages}); served by {@code dev.veil.gateway.anthropic}. */
    MESSAGES("messages", "/messages", true, "messages");

    private final String label;
    private final String upstreamPath;
    private final boolean streamable;
    private final String contentField;

    Endpoint(String label, String upstreamPath, boolean streamable, String contentField) {
        this.label = label;
        this.upstreamPath = upstreamPath;
        this.streamable = streamable;
        this.contentField = contentField;
    }

    /** A fixed, content-free name used in metrics and the request log. */
    public String label() {
        return label;
    }

    /** The path appended to the upstream's base URL. */
    public String upstreamPath() {
        return upstreamPath;
    }

    /** Whether the endpoint accepts {@code stream: true}. */
    public boolean streamable() {
        return streamable;
    }

    /** The required field that carries the content (messages, prompt, input). */
    public String contentField() {
        return contentField;
    }
}
