package dev.veil.gateway.relay;

import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageReader;
import dev.veil.protocol.api.Endpoint;
import dev.veil.tokens.CompletionCounter;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Watches a server-sent event stream on its way to the client, one event at a time: it records the usage from the
 * upstream's final usage chunk and drops that chunk when the client did not ask for it. Until a usage chunk has been
 * seen, each data event's generated text goes to a {@link CompletionCounter}, so that a stream whose upstream reports
 * no usage can still be counted; and when the client asked for usage and none came, {@code [DONE]} is held back
 * ({@link #heldDone()}) so that Veil can send its own usage chunk before it. Events are forwarded as soon as they are
 * complete, never aggregated; only an incomplete trailing event waits for its next bytes.
 *
 * <p>Linear in the bytes seen: an incomplete event is kept in one growable buffer (appended to, not re-copied per
 * chunk) and the search for its end resumes where it stopped. A chunk of whole events is passed on as it is. One event
 * may not exceed {@code maxEventBytes}: past it {@link #tooLarge()} turns true, the incomplete event is dropped and
 * nothing more is accepted, so memory stays bounded whatever the upstream sends.
 *
 * <p>How a stream ends and where its usage is come from the endpoint's {@link Endpoint.Streaming}: chat-style streams
 * end with {@code data: [DONE]} and carry usage in a final chunk; typed-event streams (the Responses API) end with a
 * terminal event ({@code response.completed} ...) whose {@code response.usage} holds the counts, and every event,
 * of a type Veil knows or not, is passed on as it is.
 */
final class SseUsageFilter {

    /** The default cap of one event: 1 MiB. */
    static final int DEFAULT_MAX_EVENT_BYTES = 1 << 20;

    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY = new byte[0];
    /** The longest event boundary minus one: a boundary may start this far before the end of what was scanned. */
    private static final int BOUNDARY_LOOKBACK = 3;
    /** A pending buffer larger than this is given back once its large event is over. */
    private static final int SHRINK_ABOVE = 64 * 1024;

    private final UsageReader usageReader;
    private final boolean forwardUsageChunk;
    private final int maxEventBytes;
    private final Endpoint.Streaming streaming;
    private final Endpoint.UsageFields fields;
    /** The terminal event types as quoted JSON strings: a cheap test before an event is parsed. */
    private final byte[][] terminalNeedles;
    /** Counts the generated text while no usage has been seen; {@code null} counts nothing. */
    private final CompletionCounter completion;
    /**
     * The client's model id (quoted JSON) to put in each event's top-level {@code model} in place of the upstream's
     * name; {@code null} leaves events as they are.
     */
    private byte[] renamed;

    /** The incomplete trailing event: {@code pending[0, pendingLength)}. */
    private byte[] pending = EMPTY;
    private int pendingLength;
    /** Where the search for the pending event's end resumes; no boundary starts before it. */
    private int resumeAt;
    private boolean tooLarge;
    /** Bytes looked at by the boundary search, for the test that scanning stays linear. */
    private long bytesScanned;
    private Usage usage;
    private long dataEvents;
    private boolean sawDone;
    private boolean heldDone;

    SseUsageFilter(UsageReader usageReader, boolean forwardUsageChunk) {
        this(usageReader, forwardUsageChunk, DEFAULT_MAX_EVENT_BYTES, null);
    }

    SseUsageFilter(UsageReader usageReader, boolean forwardUsageChunk, int maxEventBytes) {
        this(usageReader, forwardUsageChunk, maxEventBytes, null);
    }

    /**
     * @param completion counts the generated text until a usage chunk shows up; {@code null} counts nothing and never
     *                   holds {@code [DONE]} back
     */
    SseUsageFilter(UsageReader usageReader, boolean forwardUsageChunk, int maxEventBytes, CompletionCounter completion) {
        this(usageReader, forwardUsageChunk, maxEventBytes, completion, Endpoint.Streaming.DONE_SENTINEL,
                Endpoint.UsageFields.PROMPT_COMPLETION);
    }

    /** A filter for a stream of an endpoint that ends and reports usage as {@code streaming} and {@code fields} say. */
    SseUsageFilter(UsageReader usageReader, boolean forwardUsageChunk, int maxEventBytes, CompletionCounter completion,
                   Endpoint.Streaming streaming, Endpoint.UsageFields fields) {
        this.streaming = streaming;
        this.fields = fields;
        this.terminalNeedles = streaming.terminalEvents().stream()
                .map(type -> ("\"" + type + "\"").getBytes(StandardCharsets.US_ASCII)).toArray(byte[][]::new);
        this.usageReader = usageReader;
        this.forwardUsageChunk = forwardUsageChunk;
        this.maxEventBytes = maxEventBytes;
        this.completion = completion;
    }

    /** Puts {@code quotedModel} (see {@link dev.veil.protocol.openai.ModelNames}) in every event's {@code model}. */
    SseUsageFilter renaming(byte[] quotedModel) {
        this.renamed = quotedModel;
        return this;
    }

    /** Takes the next upstream bytes and returns what may go to the client now (possibly empty). */
    Buffer accept(Buffer chunk) {
        if (tooLarge || chunk.length() == 0) {
            return Buffer.buffer();
        }
        boolean fresh = pendingLength == 0;
        byte[] data;
        int length;
        int from;
        if (fresh) {
            data = chunk.getBytes();
            length = data.length;
            from = 0;
        } else {
            append(chunk);
            data = pending;
            length = pendingLength;
            from = resumeAt;
        }
        int eventStart = 0;
        ByteArrayOutputStream kept = null;
        int i = from;
        while (i < length) {
            byte b = data[i];
            if (b != '\n' && b != '\r') {
                i++;
                continue;
            }
            int boundary = boundaryLength(data, i, length);
            if (boundary == 0) {
                i++;
                continue;
            }
            int eventEnd = i + boundary;
            boolean forward = inspectEvent(data, eventStart, i);
            int payload = forward && renamed != null ? dataPayloadStart(data, eventStart, i) : -1;
            byte[] renamedPayload = payload < 0 ? null : streaming.endsWithSentinel()
                    ? dev.veil.protocol.openai.ModelNames.replaceOrNull(data, payload, i, renamed)
                    // Typed events (the Responses API) carry the model in their response object.
                    : dev.veil.protocol.openai.ModelNames.replaceInOrNull(data, payload, i, "response", renamed);
            if ((!forward || renamedPayload != null) && kept == null) {
                kept = new ByteArrayOutputStream(length + 64);
                kept.write(data, 0, eventStart);
            }
            if (forward && kept != null) {
                if (renamedPayload != null) {
                    kept.write(data, eventStart, payload - eventStart);
                    kept.writeBytes(renamedPayload);
                    kept.write(data, i, eventEnd - i);
                } else {
                    kept.write(data, eventStart, eventEnd - eventStart);
                }
            }
            eventStart = eventEnd;
            i = eventEnd;
        }
        bytesScanned += length - from;
        int completeEnd = eventStart;
        Buffer out;
        if (kept != null) {
            out = Buffer.buffer(kept.toByteArray());
        } else if (fresh && completeEnd == length) {
            return chunk;
        } else {
            out = completeEnd == 0 ? Buffer.buffer() : Buffer.buffer(Arrays.copyOf(data, completeEnd));
        }
        keepTail(data, completeEnd, length, fresh);
        return out;
    }

    /** Keeps {@code data[from, length)}, the incomplete trailing event, for the next chunk. */
    private void keepTail(byte[] data, int from, int length, boolean fresh) {
        int tail = length - from;
        if (tail > maxEventBytes) {
            tooLarge = true;
            pending = EMPTY;
            pendingLength = 0;
            return;
        }
        if (tail == 0) {
            pendingLength = 0;
            resumeAt = 0;
            if (pending.length > SHRINK_ABOVE) {
                pending = EMPTY;
            }
            return;
        }
        if (fresh) {
            if (pending.length >= tail) {
                System.arraycopy(data, from, pending, 0, tail);
            } else {
                pending = Arrays.copyOfRange(data, from, length);
            }
        } else if (from > 0) {
            // A boundary was found in the new bytes, so the tail is at most one chunk long: moving it is linear.
            if (pending.length > SHRINK_ABOVE && tail <= SHRINK_ABOVE) {
                pending = Arrays.copyOfRange(pending, from, length);
            } else {
                System.arraycopy(pending, from, pending, 0, tail);
            }
        }
        pendingLength = tail;
        resumeAt = Math.max(0, tail - BOUNDARY_LOOKBACK);
    }

    private void append(Buffer chunk) {
        int needed = pendingLength + chunk.length();
        if (needed > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(needed, Math.min(pending.length * 2, maxEventBytes + chunk.length())));
        }
        chunk.getBytes(pending, pendingLength);
        pendingLength = needed;
    }

    /** How many bytes the boundary search has looked at so far (linear in the bytes accepted). */
    long bytesScanned() {
        return bytesScanned;
    }

    /** Whatever incomplete event is left when the upstream ends; forwarded as it is. */
    Buffer finish() {
        Buffer rest = pendingLength == 0 ? Buffer.buffer() : Buffer.buffer(Arrays.copyOf(pending, pendingLength));
        pending = EMPTY;
        pendingLength = 0;
        resumeAt = 0;
        return rest;
    }

    /**
     * Whether one event exceeded the cap: the stream cannot be relayed faithfully any more, and nothing more is
     * accepted.
     */
    boolean tooLarge() {
        return tooLarge;
    }

    /** The usage of the final usage chunk, or {@code null} when the upstream sent none. */
    Usage usage() {
        return usage;
    }

    /** The number of data events other than {@code [DONE]} and the usage-only chunk. */
    long dataEvents() {
        return dataEvents;
    }

    /**
     * Whether the upstream ended its stream properly: with {@code data: [DONE]}, or for a typed-event stream with one
     * of its terminal events.
     */
    boolean sawDone() {
        return sawDone;
    }

    /**
     * Whether {@code [DONE]} came with no usage before it while the client asked for usage: it was not forwarded, and
     * the caller sends Veil's usage chunk and then {@code data: [DONE]}.
     */
    boolean heldDone() {
        return heldDone;
    }

    /** The counter of the generated text, or {@code null}. */
    CompletionCounter completion() {
        return completion;
    }

    /** Returns whether the event in {@code [start, end)} is forwarded. */
    private boolean inspectEvent(byte[] data, int start, int end) {
        int payloadStart = dataPayloadStart(data, start, end);
        if (payloadStart < 0) {
            return true;
        }
        if (!streaming.endsWithSentinel()) {
            return inspectTypedEvent(data, payloadStart, end);
        }
        if (startsWith(data, payloadStart, end, DONE)) {
            sawDone = true;
            if (usage == null && forwardUsageChunk && completion != null) {
                heldDone = true;
                return false;
            }
            return true;
        }
        dataEvents++;
        if (usage == null && completion != null) {
            // Cheap next to the relay itself: one streaming parse of a small event, its text counted in batches.
            completion.accept(data, payloadStart, end - payloadStart);
        }
        if (indexOf(data, payloadStart, end, USAGE) < 0) {
            return true;
        }
        UsageReader.Found found = usageReader.scan(data, payloadStart, end - payloadStart);
        if (found == null) {
            return true;
        }
        usage = found.usage();
        if (found.emptyChoices()) {
            dataEvents--;
            return forwardUsageChunk;
        }
        return true;
    }

    /**
     * A typed event (the Responses API): always forwarded, whatever its type. One whose payload names a terminal type
     * is parsed to confirm it is one, and its {@code response.usage} kept.
     */
    private boolean inspectTypedEvent(byte[] data, int payloadStart, int end) {
        dataEvents++;
        if (usage == null && completion != null) {
            completion.accept(data, payloadStart, end - payloadStart);
        }
        for (byte[] needle : terminalNeedles) {
            if (indexOf(data, payloadStart, end, needle) >= 0) {
                UsageReader.TypedEvent event = usageReader.typedEvent(data, payloadStart, end - payloadStart, fields);
                if (event != null && streaming.terminalEvents().contains(event.type())) {
                    sawDone = true;
                    if (event.usage() != null) {
                        usage = event.usage();
                    }
                }
                break;
            }
        }
        return true;
    }

    /** Where the value of the event's first {@code data:} field starts, or -1 when it has none. */
    private static int dataPayloadStart(byte[] data, int start, int end) {
        int line = start;
        while (line < end) {
            if (end - line >= 5 && data[line] == 'd' && data[line + 1] == 'a' && data[line + 2] == 't'
                    && data[line + 3] == 'a' && data[line + 4] == ':') {
                int p = line + 5;
                return p < end && data[p] == ' ' ? p + 1 : p;
            }
            while (line < end && data[line] != '\n') {
                line++;
            }
            line++;
        }
        return -1;
    }

    /** Length of an event boundary (blank line) starting at {@code i} in {@code d[0, length)}, or 0. */
    private static int boundaryLength(byte[] d, int i, int length) {
        if (d[i] == '\n') {
            if (i + 1 < length && d[i + 1] == '\n') {
                return 2;
            }
            if (i + 2 < length && d[i + 1] == '\r' && d[i + 2] == '\n') {
                return 3;
            }
        } else if (d[i] == '\r' && i + 3 < length && d[i + 1] == '\n' && d[i + 2] == '\r' && d[i + 3] == '\n') {
            return 4;
        }
        return 0;
    }

    private static boolean startsWith(byte[] data, int from, int end, byte[] prefix) {
        if (end - from < prefix.length) {
            return false;
        }
        for (int k = 0; k < prefix.length; k++) {
            if (data[from + k] != prefix[k]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] data, int from, int end, byte[] needle) {
        outer:
        for (int i = from; i <= end - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (data[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
