package dev.veil.gateway.batch.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReaderTest {

    /** {@code count} bytes of 'x', then "\n", then {@code tail}, generated as read (nothing held). */
    private static InputStream longLineThen(long count, String tail) {
        byte[] end = ("\n" + tail).getBytes(StandardCharsets.UTF_8);
        return new InputStream() {
            long position;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position >= count + end.length) {
                    return -1;
                }
                int n = 0;
                while (n < len && position < count + end.length) {
                    b[off + n++] = position < count ? (byte) 'x' : end[(int) (position - count)];
                    position++;
                }
                return n;
            }
        };
    }

    @Test
    void aLineOverTheCapIsReportedWithoutBeingHeldAndTheNextLineReads() throws IOException {
        // 64 MiB on one line against a 1 KiB cap: skipped through the 64 KiB buffer, never collected.
        LineReader reader = new LineReader(longLineThen(64L * 1024 * 1024, "{\"ok\":1}\r\n"), 1024);
        assertThat(reader.next()).isSameAs(LineReader.TOO_LONG);
        assertThat(new String(reader.next(), StandardCharsets.UTF_8)).isEqualTo("{\"ok\":1}");
        assertThat(reader.next()).isNull();
    }

    @Test
    void aLineOfExactlyTheCapIsKept() throws IOException {
        LineReader reader = new LineReader(longLineThen(1024, ""), 1024);
        assertThat(reader.next()).hasSize(1024);
        assertThat(reader.next()).isNull();
        assertThat(new LineReader(longLineThen(1025, ""), 1024).next()).isSameAs(LineReader.TOO_LONG);
    }

    @Test
    void anOverlongLastLineWithoutNewlineIsReportedToo() throws IOException {
        LineReader reader = new LineReader(new java.io.ByteArrayInputStream("a\n".concat("y".repeat(5000))
                .getBytes(StandardCharsets.US_ASCII)), 4096);
        assertThat(reader.next()).containsExactly('a');
        assertThat(reader.next()).isSameAs(LineReader.TOO_LONG);
        assertThat(reader.next()).isNull();
    }
}
