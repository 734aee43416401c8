package dev.veil.node;

import dev.veil.protocol.api.Endpoint;
import dev.veil.protocol.sse.SseEvents;
import dev.veil.protocol.translate.ChatStreamToMessages;
import dev.veil.protocol.translate.ChatToResponsesStream;
import dev.veil.protocol.translate.MessagesTranslation;
import dev.veil.protocol.translate.ResponsesToChat;
import dev.veil.protocol.translate.TokenCounts;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns a chat engine's answer back into the endpoint the client called, inside the node, with the translations the
 * gateway uses on its plain path (veil-protocol {@code translate}): a whole answer at once, a stream event by event
 * and, once the counts to report are known, its closing events. One per answer; not thread-safe.
 */
abstract sealed class AnswerTranslation {

    /** Thrown when the engine's chat answer cannot be translated (not JSON, arguments that are not an object). */
    static final class Malformed extends Exception {
        Malformed() {
            super("the engine's chat answer cannot be translated", null, false, false);
        }
    }

    /** The translation for a request of {@code client} sent to the engine as chat completions. */
    static AnswerTranslation of(Endpoint client, String publicModel) {
        if (client == Endpoint.RESPONSES) {
            return new Responses(publicModel);
        }
        if (client == Endpoint.MESSAGES) {
            return new Messages(publicModel);
        }
        throw new IllegalArgumentException("no translation for " + client.label());
    }

    /** A whole chat answer as the client's endpoint answers, reporting these counts. */
    abstract byte[] whole(byte[] chat, long inputTokens, long outputTokens) throws Malformed;

    /** One complete chat SSE event; returns the client's events it makes (possibly none). */
    abstract byte[] event(byte[] chatEvent) throws Malformed;

    /** The closing events, reporting these counts. */
    abstract byte[] finish(long inputTokens, long outputTokens);

    /** The content type of a translated whole answer. */
    String contentType() {
        return "application/json";
    }

    private static final class Responses extends AnswerTranslation {
        private final String model;
        private final ChatToResponsesStream stream;

        Responses(String model) {
            this.model = model;
            this.stream = new ChatToResponsesStream(model);
        }

        @Override
        byte[] whole(byte[] chat, long inputTokens, long outputTokens) throws Malformed {
            try {
                return ResponsesToChat.response(chat, model, new TokenCounts(inputTokens, outputTokens));
            } catch (RuntimeException e) {
                throw new Malformed();
            }
        }

        @Override
        byte[] event(byte[] chatEvent) throws Malformed {
            try {
                return stream.accept(chatEvent);
            } catch (RuntimeException e) {
                throw new Malformed();
            }
        }

        @Override
        byte[] finish(long inputTokens, long outputTokens) {
            return stream.finish(new TokenCounts(inputTokens, outputTokens));
        }
    }

    private static final class Messages extends AnswerTranslation {
        private final String model;
        private final String messageId = "msg_" + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + Long.toHexString(ThreadLocalRandom.current().nextLong());
        private final ChatStreamToMessages stream;

        Messages(String model) {
            this.model = model;
            this.stream = new ChatStreamToMessages(model, messageId);
        }

        @Override
        byte[] whole(byte[] chat, long inputTokens, long outputTokens) throws Malformed {
            try {
                return MessagesTranslation.response(chat, model, messageId, inputTokens, outputTokens);
            } catch (MessagesTranslation.MalformedAnswer | RuntimeException e) {
                throw new Malformed();
            }
        }

        @Override
        byte[] event(byte[] chatEvent) throws Malformed {
            SseEvents.Event parsed = SseEvents.parse(chatEvent);
            if (parsed == null || parsed.data().isEmpty()) {
                return new byte[0];
            }
            try {
                return stream.accept(parsed.data());
            } catch (MessagesTranslation.MalformedAnswer | RuntimeException e) {
                throw new Malformed();
            }
        }

        @Override
        byte[] finish(long inputTokens, long outputTokens) {
            return stream.finish(inputTokens, outputTokens);
        }
    }
}
