package dev.veil.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;

/**
 * How one well-behaved soak request ended, as docs/benchmarks.md (Soak) defines it:
 * <ul>
 *   <li>{@link Kind#OK}: a whole request got {@code 200} with a {@code chat.completion} whose first choice has a
 *       message; a stream got {@code 200}, every chunk the fake sent, {@code [DONE]} and no error event;</li>
 *   <li>{@link Kind#EXPECTED}: a stream got {@code 200}, then an error event, then its end, and the last upstream
 *       attempt was one whose fault came after the answer had started ({@link Fault#afterAnswerStarted()}): the
 *       gateway may have passed part of the answer on and must not start it again elsewhere;</li>
 *   <li>{@link Kind#UNEXPECTED}: anything else (an error status, a body that is not the answer, a stream cut without
 *       an error event, no byte for the client's idle timeout, a refused or reset connection).</li>
 * </ul>
 * The reason names what happened and the last attempt's fault, so that the report can say which fault leads where.
 */
public final class SoakOutcome {

    /** The outcome classes. */
    public enum Kind { OK, EXPECTED, UNEXPECTED }

    /** One request's outcome and, unless OK, why. */
    public record Verdict(Kind kind, String reason) {
        static final Verdict OK = new Verdict(Kind.OK, "ok");
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SoakOutcome() {
    }

    /**
     * A whole (non-stream) request.
     *
     * @param failure   the transport failure ({@link #describe}), or null when an answer arrived
     * @param status    the HTTP status (ignored with a failure)
     * @param body      the answer's body, at most the client's cap
     * @param truncated whether the body was longer than the cap
     * @param lastFault the last attempt's fault, or null when no attempt reached a fake
     */
    public static Verdict whole(String failure, int status, byte[] body, boolean truncated, Fault lastFault) {
        if (failure != null) {
            return unexpected(failure, lastFault);
        }
        if (status != 200) {
            return unexpected(httpError(status, body), lastFault);
        }
        if (truncated) {
            return unexpected("200 with a body over the client's cap", lastFault);
        }
        try {
            JsonNode answer = JSON.readTree(body);
            if (answer != null && "chat.completion".equals(answer.path("object").asText())
                    && answer.path("choices").path(0).path("message").isObject()) {
                return Verdict.OK;
            }
        } catch (java.io.IOException e) {
            // not JSON: below
        }
        return unexpected("200 that is not a chat completion", lastFault);
    }

    /**
     * A streamed request.
     *
     * @param failure        the transport failure, or null when the stream ended normally
     * @param status         the HTTP status (ignored with a failure before the answer)
     * @param errorBody      the body of a non-200 answer (capped), or null
     * @param chunks         chat.completion.chunk events received
     * @param expectedChunks chunks the fake sends in a normal answer
     * @param sawDone        whether {@code data: [DONE]} arrived
     * @param sawError       whether an event with an {@code error} object arrived
     * @param lastFault      the last attempt's fault, or null when no attempt reached a fake
     */
    public static Verdict stream(String failure, int status, byte[] errorBody, int chunks, int expectedChunks,
                                 boolean sawDone, boolean sawError, Fault lastFault) {
        if (status != 200 && status != 0) {
            return unexpected(httpError(status, errorBody), lastFault);
        }
        if (sawError) {
            boolean ended = failure == null || failure.startsWith("connection closed");
            if (!ended) {
                return unexpected("error event, then " + failure, lastFault);
            }
            if (lastFault != null && lastFault.afterAnswerStarted()) {
                return new Verdict(Kind.EXPECTED, "error event after fault " + lastFault.id());
            }
            return unexpected("error event", lastFault);
        }
        if (failure != null) {
            return unexpected(chunks > 0 ? failure + " mid-stream" : failure, lastFault);
        }
        if (!sawDone) {
            return unexpected("stream ended without [DONE] or an error event", lastFault);
        }
        if (chunks != expectedChunks) {
            return unexpected("stream with " + chunks + " of " + expectedChunks + " chunks", lastFault);
        }
        return Verdict.OK;
    }

    private static Verdict unexpected(String what, Fault lastFault) {
        String after = lastFault == null ? " (no attempt reached an upstream)"
                : lastFault == Fault.NONE ? " (last attempt: no fault)" : " (last attempt: fault " + lastFault.id() + ")";
        return new Verdict(Kind.UNEXPECTED, what + after);
    }

    /** {@code HTTP 503 no_healthy_route}: the status and the OpenAI error code when the body has one. */
    static String httpError(int status, byte[] body) {
        String code = body == null ? null : FakeUpstream.stringValue(body, "\"code\"".getBytes(StandardCharsets.US_ASCII));
        return "HTTP " + status + (code == null ? "" : " " + code);
    }

    /** A transport failure in a few stable words (the counts group by it), never the peer's text. */
    public static String describe(Throwable t) {
        String name = t.getClass().getSimpleName();
        String message = t.getMessage() == null ? "" : t.getMessage();
        if (name.contains("ConnectTimeout")) {
            return "connect timed out";
        }
        if (name.contains("Timeout") || message.contains("timeout period")) {
            return "no byte within the client's idle timeout";
        }
        if (name.equals("HttpClosedException") || message.contains("Connection was closed")
                || message.contains("Connection reset") || name.equals("ClosedChannelException")) {
            return "connection closed";
        }
        if (name.contains("Connect") || message.contains("Connection refused")) {
            return "connection refused";
        }
        return name;
    }
}
