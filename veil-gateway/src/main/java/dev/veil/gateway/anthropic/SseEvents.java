package dev.veil.gateway.anthropic;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a server-sent event stream into whole events as its bytes arrive, each at most {@code maxEventBytes} long
 * (a longer one sets {@link #tooLarge()} and nothing more is returned). Lines may end in LF, CRLF or CR; an event
 * ends at a blank line. Linear: each byte is looked at once. One per stream, confined to its event loop.
 */
public final class SseEvents {

    /** One event: its {@code event:} name ({@code null} when none), its {@code data:} lines joined by LF, its bytes. */
    public record Event(String name, String data, byte[] raw) {
    }

    private final int maxEventBytes;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream(256);
    private boolean lastWasNewline;
    private boolean lastWasCr;
    private boolean tooLarge;

    public SseEvents(int maxEventBytes) {
        this.maxEventBytes = maxEventBytes;
    }

    /** Whether an event exceeded the limit; the stream must then be ended. */
    public boolean tooLarge() {
        return tooLarge;
    }

    /** The complete events {@code chunk} finishes. */
    public List<Event> accept(Buffer chunk) {
        List<Event> events = new ArrayList<>(2);
        if (tooLarge) {
            return events;
        }
        byte[] bytes = chunk.getBytes();
        for (byte b : bytes) {
            if (b == '\n' && lastWasCr) {
                // CRLF: the CR already ended the line.
                lastWasCr = false;
                if (pending.size() > 0) {
                    pending.write(b);
                }
                continue;
            }
            boolean newline = b == '\n' || b == '\r';
            pending.write(b);
            if (pending.size() > maxEventBytes) {
                tooLarge = true;
                pending.reset();
                return events;
            }
            if (newline && lastWasNewline) {
                Event event = parse(pending.toByteArray());
                pending.reset();
                lastWasNewline = false;
                lastWasCr = b == '\r';
                if (event != null) {
                    events.add(event);
                }
                continue;
            }
            lastWasNewline = newline;
            lastWasCr = b == '\r';
        }
        return events;
    }

    /** Whether bytes of an unfinished event are left over. */
    public boolean partial() {
        for (byte b : pending.toByteArray()) {
            if (b != '\n' && b != '\r') {
                return true;
            }
        }
        return false;
    }

    /** An event from its lines; {@code null} for one with neither a name nor data (comments only). */
    static Event parse(byte[] raw) {
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
