package dev.veil.bench;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Server-sent event framing for the fake upstream (writing) and the load generator (splitting and classifying). */
public final class Sse {

    private Sse() {
    }

    /** What one complete event is, as far as the benchmarks care. */
    public enum Kind {
        /** A {@code chat.completion.chunk} with at least one choice: a frame the client should see 1:1. */
        CHUNK,
        /** The final usage chunk ({@code "choices":[]}). */
        USAGE,
        /** {@code data: [DONE]}. */
        DONE,
        /** A data event carrying an {@code error} object. */
        ERROR,
        /** A comment line ({@code : ...}), e.g. Veil's receipt; clients ignore it. */
        COMMENT,
        /** Anything else. */
        OTHER
    }

    private static final byte[] DONE = "[DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_CHOICES = "\"choices\":[]".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ERROR = "\"error\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CHOICES = "\"choices\"".getBytes(StandardCharsets.US_ASCII);
    /** A Responses API event: typed, no {@code choices}; its terminal event takes the place of {@code [DONE]}. */
    private static final byte[] RESPONSES_EVENT = "\"type\":\"response.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSES_DELTA = "\"type\":\"response.output_text.delta\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSES_COMPLETED = "\"type\":\"response.completed\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSES_ERROR = "\"type\":\"error\"".getBytes(StandardCharsets.US_ASCII);

    /** One typed event as the Responses API writes it: {@code event: <type>\ndata: <json>\n\n}. */
    public static byte[] typedEvent(String type, String json) {
        return ("event: " + type + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** One event as the fake writes it: {@code data: <json>\n\n}. */
    public static byte[] event(String json) {
        return ("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** Classifies the event in {@code [start, end)} (without its terminating blank line). */
    public static Kind classify(byte[] data, int start, int end) {
        int i = start;
        while (i < end && (data[i] == '\n' || data[i] == '\r')) {
            i++;
        }
        if (i >= end) {
            return Kind.OTHER;
        }
        if (data[i] == ':') {
            return Kind.COMMENT;
        }
        if (indexOf(data, i, end, DONE) >= 0) {
            return Kind.DONE;
        }
        // Responses API events: a text delta is the frame a client sees, response.completed ends the stream. Checked
        // before "error", which their response objects carry as a member ("error": null).
        if (indexOf(data, i, end, RESPONSES_ERROR) >= 0) {
            return Kind.ERROR;
        }
        if (indexOf(data, i, end, RESPONSES_EVENT) >= 0) {
            return indexOf(data, i, end, RESPONSES_DELTA) >= 0 ? Kind.CHUNK
                    : indexOf(data, i, end, RESPONSES_COMPLETED) >= 0 ? Kind.DONE : Kind.OTHER;
        }
        if (indexOf(data, i, end, EMPTY_CHOICES) >= 0) {
            return Kind.USAGE;
        }
        if (indexOf(data, i, end, ERROR) >= 0) {
            return Kind.ERROR;
        }
        if (indexOf(data, i, end, CHOICES) >= 0) {
            return Kind.CHUNK;
        }
        return Kind.OTHER;
    }

    static int indexOf(byte[] data, int from, int end, byte[] needle) {
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

    /** Receives complete events from a {@link Splitter}. */
    public interface Listener {
        void onEvent(Kind kind);
    }

    /**
     * Splits a byte stream into events at blank lines ({@code \n\n} or {@code \r\n\r\n}), however the bytes are cut
     * into reads. Not thread-safe: one per stream.
     */
    public static final class Splitter {
        private byte[] buf = new byte[512];
        private int len;
        private int scanFrom;

        /** Feeds the next bytes; calls {@code listener} once per event they complete. Returns how many. */
        public int feed(byte[] bytes, Listener listener) {
            if (len + bytes.length > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + bytes.length));
            }
            System.arraycopy(bytes, 0, buf, len, bytes.length);
            len += bytes.length;
            int events = 0;
            int eventStart = 0;
            int i = Math.max(0, scanFrom);
            while (i < len) {
                int boundary = boundary(i);
                if (boundary == 0) {
                    i++;
                    continue;
                }
                listener.onEvent(classify(buf, eventStart, i));
                events++;
                i += boundary;
                eventStart = i;
            }
            if (eventStart > 0) {
                System.arraycopy(buf, eventStart, buf, 0, len - eventStart);
                len -= eventStart;
            }
            // A boundary may straddle reads: rescan the last three bytes next time.
            scanFrom = Math.max(0, len - 3);
            return events;
        }

        /** Bytes of an incomplete trailing event. */
        public int pending() {
            return len;
        }

        private int boundary(int i) {
            if (buf[i] == '\n') {
                if (i + 1 < len && buf[i + 1] == '\n') {
                    return 2;
                }
                if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
                    return 3;
                }
            } else if (buf[i] == '\r' && i + 3 < len && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
                return 4;
            }
            return 0;
        }
    }
}
