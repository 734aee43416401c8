package dev.veil.gateway.batch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * A streaming {@code multipart/form-data} parser (RFC 7578) that hands each part's bytes on as they arrive, holding
 * at most one delimiter's length of a part in memory. Used instead of Vert.x's decoder, which keeps a part without a
 * {@code filename} (openai-java sends the {@code file} part that way) as an in-memory form attribute capped at a few
 * kilobytes: an upload must stream whatever the client's multipart encoding.
 */
final class MultipartParser {

    /** Receives the parts. */
    interface Listener {
        void partStart(String name, String filename);

        void data(byte[] bytes, int offset, int length);

        void partEnd();
    }

    /** The body is not well-formed multipart. */
    static final class MalformedException extends Exception {
        MalformedException(String message) {
            super(message, null, false, false);
        }
    }

    private enum State { PREAMBLE, AFTER_DELIMITER, HEADERS, BODY, END }

    private static final int MAX_HEADERS = 16 * 1024;

    private final byte[] delimiter;
    private final Listener listener;
    private State state = State.PREAMBLE;
    private byte[] pending;
    private int pendingLength;
    private final ByteArrayOutputStream headers = new ByteArrayOutputStream();

    MultipartParser(String boundary, Listener listener) {
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.listener = listener;
        // The first delimiter has no CRLF before it: pretend there was one.
        this.pending = new byte[64 * 1024];
        pending[0] = '\r';
        pending[1] = '\n';
        pendingLength = 2;
    }

    /** The boundary of a {@code multipart/form-data} content type, or null. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            return null;
        }
        for (String param : contentType.split(";")) {
            String p = param.trim();
            if (p.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = p.substring(9).trim();
                if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) {
                    b = b.substring(1, b.length() - 1);
                }
                return b.isEmpty() || b.length() > 200 ? null : b;
            }
        }
        return null;
    }

    boolean complete() {
        return state == State.END;
    }

    void feed(byte[] chunk) throws MalformedException {
        if (state == State.END) {
            return;
        }
        append(chunk);
        boolean progress = true;
        while (progress && state != State.END) {
            progress = switch (state) {
                case PREAMBLE -> skipPreamble();
                case AFTER_DELIMITER -> afterDelimiter();
                case HEADERS -> readHeaders();
                case BODY -> readBody();
                case END -> false;
            };
        }
    }

    private void append(byte[] chunk) {
        if (pendingLength + chunk.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + chunk.length));
        }
        System.arraycopy(chunk, 0, pending, pendingLength, chunk.length);
        pendingLength += chunk.length;
    }

    private void consume(int n) {
        System.arraycopy(pending, n, pending, 0, pendingLength - n);
        pendingLength -= n;
        if (pending.length > 256 * 1024 && pendingLength < 64 * 1024) {
            pending = Arrays.copyOf(pending, 64 * 1024);
        }
    }

    private int indexOf(byte[] needle, int from) {
        outer:
        for (int i = from; i <= pendingLength - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (pending[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private boolean skipPreamble() {
        int at = indexOf(delimiter, 0);
        if (at < 0) {
            // Keep only what could still be the start of a delimiter.
            int keep = Math.min(pendingLength, delimiter.length - 1);
            consume(pendingLength - keep);
            return false;
        }
        consume(at + delimiter.length);
        state = State.AFTER_DELIMITER;
        return true;
    }

    private boolean afterDelimiter() throws MalformedException {
        if (pendingLength < 2) {
            return false;
        }
        if (pending[0] == '-' && pending[1] == '-') {
            state = State.END;
            pendingLength = 0;
            return false;
        }
        // Transport padding (spaces, tabs) may precede the CRLF.
        int i = 0;
        while (i < pendingLength && (pending[i] == ' ' || pending[i] == '\t')) {
            i++;
        }
        if (pendingLength - i < 2) {
            return false;
        }
        if (pending[i] != '\r' || pending[i + 1] != '\n') {
            throw new MalformedException("malformed multipart delimiter");
        }
        consume(i + 2);
        headers.reset();
        state = State.HEADERS;
        return true;
    }

    private boolean readHeaders() throws MalformedException {
        int end = indexOf(new byte[] {'\r', '\n', '\r', '\n'}, 0);
        int blank = pendingLength >= 2 && pending[0] == '\r' && pending[1] == '\n' ? 0 : -1;
        if (blank == 0) {
            end = -2; // a part without headers
        }
        if (end == -1) {
            if (pendingLength > MAX_HEADERS) {
                throw new MalformedException("multipart part headers too long");
            }
            return false;
        }
        String text = end == -2 ? "" : new String(pending, 0, end, StandardCharsets.UTF_8);
        consume(end == -2 ? 2 : end + 4);
        String name = null;
        String filename = null;
        for (String line : text.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon < 0 || !line.substring(0, colon).trim().equalsIgnoreCase("content-disposition")) {
                continue;
            }
            for (String param : line.substring(colon + 1).split(";")) {
                String p = param.trim();
                int eq = p.indexOf('=');
                if (eq < 0) {
                    continue;
                }
                String key = p.substring(0, eq).trim().toLowerCase(Locale.ROOT);
                String value = p.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1);
                }
                if (key.equals("name")) {
                    name = value;
                } else if (key.equals("filename")) {
                    filename = value;
                }
            }
        }
        if (name == null) {
            throw new MalformedException("multipart part without a name");
        }
        listener.partStart(name, filename);
        state = State.BODY;
        return true;
    }

    private boolean readBody() {
        int at = indexOf(delimiter, 0);
        if (at < 0) {
            int emit = pendingLength - (delimiter.length - 1);
            if (emit > 0) {
                listener.data(pending, 0, emit);
                consume(emit);
            }
            return false;
        }
        if (at > 0) {
            listener.data(pending, 0, at);
        }
        consume(at + delimiter.length);
        listener.partEnd();
        state = State.AFTER_DELIMITER;
        return true;
    }
}
