package dev.veil.bench;

import java.util.Locale;

/**
 * A misbehaviour the fake upstream injects into one answer in the soak run ({@link FaultPlan} picks which). Each names
 * whether the fake has already sent a {@code 200} and part of the answer when it misbehaves: only then may a gateway
 * that relays a stream as it arrives end the client's stream with an error event; every other fault happens before
 * the answer has started, so a gateway can and must try another route.
 */
public enum Fault {
    /** No fault: the normal answer. */
    NONE("none", false),
    /** The connection is closed before any byte of the answer. */
    RESET("reset", false),
    /** The first byte comes after {@link FaultPlan#slowMillis()}, beyond the gateway's upstream timeout. */
    SLOW_FIRST_BYTE("slow", false),
    /** A 200 and part of the answer (two stream events, or half the JSON), then silence until the peer gives up. */
    STALL("stall", true),
    /** A 200 and part of the answer, then the connection is closed. */
    RESET_MID("reset-mid", true),
    /** A 500, 502 or 503 with an OpenAI-shaped error body. */
    ERROR_5XX("5xx", false),
    /** A 429 with {@code Retry-After: 1}. */
    RATE_LIMITED("429", false),
    /** A 200 whose body never ends (one JSON string, or one SSE event, that grows until the peer closes). */
    ENDLESS_BODY("endless", true),
    /** A 500 whose error body never ends. */
    ENDLESS_ERROR("endless-error", false),
    /** A 200 that is not the answer: an HTML page. */
    MALFORMED("malformed", false);

    private final String id;
    private final boolean afterAnswerStarted;

    Fault(String id, boolean afterAnswerStarted) {
        this.id = id;
        this.afterAnswerStarted = afterAnswerStarted;
    }

    /** The short name used on the command line and in the report. */
    public String id() {
        return id;
    }

    /**
     * Whether the fake had sent a 200 and part of the answer before misbehaving. For a stream, a gateway may have
     * passed that part on to the client already, so an error event ending the client's stream is the expected
     * outcome; a whole answer is complete only when its body is, so every fault there is recoverable.
     */
    public boolean afterAnswerStarted() {
        return afterAnswerStarted;
    }

    /** The fault with this {@link #id()}; an IllegalArgumentException naming the known ones otherwise. */
    public static Fault byId(String id) {
        for (Fault f : values()) {
            if (f.id.equals(id.trim().toLowerCase(Locale.ROOT)) && f != NONE) {
                return f;
            }
        }
        StringBuilder known = new StringBuilder();
        for (Fault f : values()) {
            if (f != NONE) {
                known.append(known.isEmpty() ? "" : ", ").append(f.id);
            }
        }
        throw new IllegalArgumentException("unknown fault '" + id + "' (known: " + known + ")");
    }
}
