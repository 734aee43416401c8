package dev.veil.gateway.batch.runner;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits a byte stream into lines ({@code \n}, an optional {@code \r} before it dropped) without decoding them, one
 * line in memory at a time. A line longer than the cap is skipped to its end (read through a 64 KiB buffer, never kept)
 * and reported as {@link #TOO_LONG}, so one bad line cannot exhaust memory; the lines after it read normally.
 */
final class LineReader {

    /** A line that was longer than the cap; its bytes were not kept. */
    static final byte[] TOO_LONG = new byte[0];

    private final InputStream in;
    private final int cap;
    private final byte[] buffer = new byte[64 * 1024];
    private int position;
    private int limit;
    private boolean eof;

    LineReader(InputStream in, int cap) {
        this.in = in;
        this.cap = cap;
    }

    /** The next line without its terminator, {@link #TOO_LONG}, or {@code null} at the end of the stream. */
    byte[] next() throws IOException {
        byte[] line = new byte[256];
        int length = 0;
        boolean overflow = false;
        boolean any = false;
        while (true) {
            if (position == limit) {
                if (eof || !fill()) {
                    if (!any) {
                        return null;
                    }
                    break;
                }
            }
            any = true;
            int start = position;
            int newline = -1;
            for (int i = position; i < limit; i++) {
                if (buffer[i] == '\n') {
                    newline = i;
                    break;
                }
            }
            int end = newline < 0 ? limit : newline;
            int n = end - start;
            if (!overflow) {
                if (length + n > cap) {
                    overflow = true;
                } else {
                    if (length + n > line.length) {
                        // Doubling, but never past the cap: a line is held in at most cap bytes.
                        line = Arrays.copyOf(line, (int) Math.min(cap, Math.max(2L * line.length, length + n)));
                    }
                    System.arraycopy(buffer, start, line, length, n);
                    length += n;
                }
            }
            position = newline < 0 ? limit : newline + 1;
            if (newline >= 0) {
                break;
            }
        }
        if (overflow) {
            return TOO_LONG;
        }
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return Arrays.copyOf(line, length);
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            eof = true;
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }

    static boolean blank(byte[] line) {
        for (byte b : line) {
            if (b != ' ' && b != '\t' && b != '\r') {
                return false;
            }
        }
        return true;
    }
}
