package dev.veil.protocol.sse;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a server-sent event stream into whole events as its bytes arrive, whatever the reads look like: each event is
 * returned with its terminating blank line as soon as that line is complete, so a caller can pass on, seal or parse
 * exactly one event at a time. Lines may end in LF, CRLF or CR (the SSE specification allows all three); an event
 * ends at a blank line. Each event is at most {@code maxEventBytes} long: a longer one sets {@link #tooLarge()} and
 * nothing more is returned (memory stays bounded whatever the peer sends). Linear: each byte is looked at once.
 *
 * <p>One splitter serves every SSE reader of Veil that needs events one by one: the node (sealing an engine's stream
 * one event per frame, translating it inside the enclave), the gateway's Messages relay, and the translations. The
 * gateway's chat relay alone scans its stream in place ({@code SseUsageFilter}, whose buffer is tuned for the hot path
 * and which takes the LF and CRLF blank lines OpenAI-compatible upstreams send). Not thread-safe: one per stream.
 */
public final class SseEvents {

    /**
     * One parsed event.
     *
     * @param name its {@code event:} field, {@code null} when it has none
     * @param data its {@code data:} lines joined by LF (empty when it has none)
     * @param raw  the event's bytes as received, terminating blank line included
     */
    public record Event(String name, String data, byte[] raw) {
    }

    private final int maxEventBytes;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(256);
    /** The previous byte ended a line, so a line ending now is a blank line. */
    private boolean atLineStart;
    /** The previous byte was a CR: an LF now belongs to it (CRLF). */
    private boolean lastWasCr;
    /** {@code pending} is a complete event that ended on a CR at the end of a read; an LF may still follow. */
    private boolean heldAtCr;
    private boolean tooLarge;

    /** @param maxEventBytes the largest event accepted, terminator included */
    public SseEvents(int maxEventBytes) {
        if (maxEventBytes < 1) {
            throw new IllegalArgumentException("maxEventBytes must be positive");
        }
        this.maxEventBytes = maxEventBytes;
    }

    /** Takes the next bytes of the stream and returns the raw events they complete, in order (possibly none). */
    public List<byte[]> accept(byte[] data) {
        List<byte[]> events = new ArrayList<>(2);
        if (tooLarge) {
            return events;
        }
        int start = 0;
        int i = 0;
        if (heldAtCr && data.length > 0) {
            heldAtCr = false;
            if (data[0] == '\n') {
                pending.write('\n');
                i = start = 1;
            }
            events.add(take());
        }
        for (; i < data.length; i++) {
            byte b = data[i];
            if (pending.size() + (i - start + 1) > maxEventBytes) {
                tooLarge = true;
                pending.reset();
                return events;
            }
            if (b == '\n' && lastWasCr) {
                // CRLF: the CR already ended the line.
                lastWasCr = false;
                continue;
            }
            boolean newline = b == '\n' || b == '\r';
            if (newline && atLineStart) {
                atLineStart = false;
                lastWasCr = false;
                int end = i + 1;
                if (b == '\r') {
                    if (end < data.length && data[end] == '\n') {
                        end++;
                    } else if (end == data.length) {
                        // The next read may start with the LF of this CRLF: keep the event until then.
                        pending.write(data, start, end - start);
                        heldAtCr = true;
                        return events;
                    }
                }
                pending.write(data, start, end - start);
                events.add(take());
                start = end;
                i = end - 1;
                continue;
            }
            atLineStart = newline;
            lastWasCr = b == '\r';
        }
        if (start < data.length) {
            pending.write(data, start, data.length - start);
        }
        return events;
    }

    /** As {@link #accept(byte[])}, parsed; events with neither a name nor data (comments only) are left out. */
    public List<Event> acceptParsed(byte[] data) {
        List<Event> events = new ArrayList<>(2);
        for (byte[] raw : accept(data)) {
            Event event = parse(raw);
            if (event != null) {
                events.add(event);
            }
        }
        return events;
    }

    /** Whether an event exceeded the limit; the stream must then be ended. */
    public boolean tooLarge() {
        return tooLarge;
    }

    /** How many bytes of an incomplete event are waiting for its end. */
    public int pendingBytes() {
        return heldAtCr ? 0 : pending.size();
    }

    /** Whether bytes of an unfinished event (other than line endings) are left over. */
    public boolean partial() {
        if (heldAtCr) {
            return false;
        }
        for (byte b : pending.toByteArray()) {
            if (b != '\n' && b != '\r') {
                return true;
            }
        }
        return false;
    }

    /**
     * At the end of the stream: what is left, a complete event still waiting for a possible LF, or the bytes of an
     * unfinished one (empty when the stream ended cleanly). Resets the splitter.
     */
    public byte[] rest() {
        byte[] rest = pending.toByteArray();
        pending.reset();
        heldAtCr = false;
        atLineStart = false;
        lastWasCr = false;
        return rest;
    }

    private byte[] take() {
        byte[] event = pending.toByteArray();
        pending.reset();
        return event;
    }

    /** An event from its lines; {@code null} for one with neither a name nor data (comments only). */
    public static Event parse(byte[] raw) {
        String text = new String(raw, StandardCharsets.UTF_8);
        String name = null;
        StringBuilder data = null;
        for (String line : text.split("\r\n|\r|\n")) {
            if (line.isEmpty() || line.charAt(0) == ':') {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (field.equals("event")) {
                name = value;
            } else if (field.equals("data")) {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
        }
        if (name == null && data == null) {
            return null;
        }
        return new Event(name, data == null ? "" : data.toString(), raw);
    }
}
