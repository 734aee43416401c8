package dev.veil.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.tokens.CompletionCounter;
import dev.veil.tokens.PromptCounter;
import dev.veil.tokens.Tokenizer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Veil's own token count of a request whose upstream reported no usage, marked {@link Usage#estimated()}. A prompt
 * can be as large as the request body limit, so it is counted on Vert.x's worker pool, never on an event loop; a
 * stream's completion was counted event by event as it passed ({@link CompletionCounter}). Nothing counted is kept:
 * the text is read from the request and answer bytes the relay holds anyway, and only the numbers remain.
 */
public final class UsageEstimator {

    private final JsonFactory json;
    private final PromptCounter prompts;

    public UsageEstimator(JsonFactory json) {
        this.json = json;
        this.prompts = new PromptCounter(json);
    }

    /** A counter for a stream's generated text, fed event by event. */
    public CompletionCounter completionCounter(Tokenizer tokenizer) {
        return new CompletionCounter(json, tokenizer);
    }

    /**
     * The usage to bill for a stream: {@code reported} when the upstream sent it, else the prompt counted on the
     * worker pool plus {@code completionTokens}, estimated. Completes on the caller's context.
     */
    public Future<Usage> stream(Vertx vertx, Usage reported, byte[] requestBody, Tokenizer tokenizer,
                                long completionTokens) {
        if (reported != null) {
            return Future.succeededFuture(reported);
        }
        return vertx.executeBlocking(() -> Usage.estimated(prompts.count(requestBody, tokenizer), completionTokens), false);
    }

    /**
     * The usage to bill for a whole answer: {@code reported} when it had one, else the request's prompt and the
     * answer's generated text counted on the worker pool, estimated. Completes on the caller's context.
     */
    public Future<Usage> whole(Vertx vertx, Usage reported, byte[] requestBody, byte[] answer, Tokenizer tokenizer) {
        if (reported != null) {
            return Future.succeededFuture(reported);
        }
        return vertx.executeBlocking(() -> count(requestBody, answer, tokenizer), false);
    }

    /** Counts a whole exchange on the calling thread: for callers already off the event loop. */
    public Usage count(byte[] requestBody, byte[] answer, Tokenizer tokenizer) {
        CompletionCounter completion = completionCounter(tokenizer);
        if (answer != null) {
            completion.accept(answer, 0, answer.length);
        }
        return Usage.estimated(prompts.count(requestBody, tokenizer), completion.tokens());
    }
}
