package dev.veil.node;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Cuts an engine's server-sent event stream into complete events, whatever the TCP reads look like: each event is
 * returned with its terminating blank line ({@code \n\n}, {@code \r\n\r\n}, or the mixed {@code \n\r\n}) as soon as
 * that line arrives, so every sealed frame carries exactly one whole event. Only an incomplete trailing event waits.
 * Not thread-safe: one stream.
 */
final class SseEvents {

    private byte[] pending = new byte[0];
    /** Where the boundary search resumes in {@code pending}: the bytes before it hold no boundary. */
    private int scanFrom;

    /** Takes the next bytes of the stream and returns the events they complete, in order (possibly none). */
    List<byte[]> accept(byte[] data) {
        byte[] buf = pending.length == 0 ? data : concat(pending, data);
        List<byte[]> events = new ArrayList<>(2);
        int eventStart = 0;
        int i = Math.max(0, scanFrom);
        while (i < buf.length) {
            int boundary = boundaryLength(buf, i);
            if (boundary == 0) {
                i++;
                continue;
            }
            int end = i + boundary;
            events.add(Arrays.copyOfRange(buf, eventStart, end));
            eventStart = end;
            i = end;
        }
        pending = eventStart == buf.length ? new byte[0] : Arrays.copyOfRange(buf, eventStart, buf.length);
        // A boundary is at most 4 bytes long, so one may straddle the last 3 bytes and the next read.
        scanFrom = Math.max(0, pending.length - 3);
        return events;
    }

    /** How many bytes of an incomplete event are waiting for its end. */
    int pendingBytes() {
        return pending.length;
    }

    /** The incomplete trailing event left when the stream ended (empty when it ended cleanly). */
    byte[] rest() {
        byte[] rest = pending;
        pending = new byte[0];
        scanFrom = 0;
        return rest;
    }

    /**
     * Length of a blank-line boundary starting at {@code i} (the end of an event's last line), or 0. A boundary that
     * could still grow with the next read ({@code \r\n\r} at the end) is not taken yet.
     */
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

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
