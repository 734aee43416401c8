package dev.veil.gateway.relay;

import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageReader;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Watches a server-sent event stream on its way to the client, one event at a time: it records the usage from the
 * upstream's final usage chunk and drops that chunk when the client did not ask for it. Events are forwarded as soon as
 * they are complete, never aggregated; only an incomplete trailing event waits for its next bytes.
 */
final class SseUsageFilter {

    private static final byte[] USAGE = "\"usage\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);

    private final UsageReader usageReader;
    private final boolean forwardUsageChunk;

    private byte[] pending = new byte[0];
    private Usage usage;
    private long dataEvents;
    private boolean sawDone;

    SseUsageFilter(UsageReader usageReader, boolean forwardUsageChunk) {
        this.usageReader = usageReader;
        this.forwardUsageChunk = forwardUsageChunk;
    }

    /** Takes the next upstream bytes and returns what may go to the client now (possibly empty). */
    Buffer accept(Buffer chunk) {
        byte[] data = pending.length == 0 ? chunk.getBytes() : concat(pending, chunk.getBytes());
        int completeEnd = 0;
        int eventStart = 0;
        ByteArrayOutputStream kept = null;
        int i = 0;
        while (i < data.length) {
            int boundary = boundaryLength(data, i);
            if (boundary == 0) {
                i++;
                continue;
            }
            int eventEnd = i + boundary;
            boolean forward = inspectEvent(data, eventStart, i);
            if (!forward && kept == null) {
                kept = new ByteArrayOutputStream(data.length);
                kept.write(data, 0, eventStart);
            } else if (forward && kept != null) {
                kept.write(data, eventStart, eventEnd - eventStart);
            }
            eventStart = eventEnd;
            completeEnd = eventEnd;
            i = eventEnd;
        }
        pending = completeEnd == data.length ? new byte[0] : slice(data, completeEnd, data.length);
        if (kept != null) {
            return Buffer.buffer(kept.toByteArray());
        }
        if (completeEnd == data.length && data.length == chunk.length() && pending.length == 0) {
            return chunk;
        }
        return Buffer.buffer(slice(data, 0, completeEnd));
    }

    /** Whatever incomplete event is left when the upstream ends; forwarded as it is. */
    Buffer finish() {
        Buffer rest = Buffer.buffer(pending);
        pending = new byte[0];
        return rest;
    }

    /** The usage of the final usage chunk, or {@code null} when the upstream sent none. */
    Usage usage() {
        return usage;
    }

    /** The number of data events other than {@code [DONE]}; an estimate of tokens when usage is missing. */
    long dataEvents() {
        return dataEvents;
    }

    /** Whether the upstream ended its stream properly with {@code data: [DONE]}. */
    boolean sawDone() {
        return sawDone;
    }

    /** Returns whether the event in {@code [start, end)} is forwarded. */
    private boolean inspectEvent(byte[] data, int start, int end) {
        int payloadStart = dataPayloadStart(data, start, end);
        if (payloadStart < 0) {
            return true;
        }
        if (startsWith(data, payloadStart, end, DONE)) {
            sawDone = true;
            return true;
        }
        dataEvents++;
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

    /** Length of an event boundary (blank line) starting at {@code i}, or 0. */
    private static int boundaryLength(byte[] d, int i) {
        if (d[i] == '\n') {
            if (i + 1 < d.length && d[i + 1] == '\n') {
                return 2;
            }
            if (i + 2 < d.length && d[i + 1] == '\r' && d[i + 2] == '\n') {
                return 3;
            }
        } else if (d[i] == '\r' && i + 3 < d.length && d[i + 1] == '\n' && d[i + 2] == '\r' && d[i + 3] == '\n') {
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

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static byte[] slice(byte[] data, int from, int to) {
        byte[] out = new byte[to - from];
        System.arraycopy(data, from, out, 0, out.length);
        return out;
    }
}
