package dev.veil.gateway.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzz target for the streaming {@link MultipartParser} behind {@code POST /v1/files}. In {@code ./mvnw verify} it runs
 * the inputs under {@code src/test/resources/dev/veil/gateway/batch/MultipartParserFuzzTestInputs}; {@code .ci/fuzz}
 * fuzzes it (docs/fuzzing.md).
 *
 * <p>Properties: it refuses bad input only with {@link MultipartParser.MalformedException}; its listener calls are well
 * nested (start, data, end); what it reports does not depend on how the body was split into reads; and a body built from
 * generated parts is parsed back into exactly those parts.
 */
class MultipartParserFuzzTest {

    private static final String BOUNDARY = "----veil-fuzz-7Qm";

    /** One part as the listener saw it. */
    record Part(String name, String filename, byte[] data) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Part p && java.util.Objects.equals(name, p.name) && java.util.Objects.equals(filename, p.filename)
                    && Arrays.equals(data, p.data);
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(name, filename, Arrays.hashCode(data));
        }
    }

    /** What the parser reported: the parts, whether it ended, and whether (where) it refused the body. */
    record Outcome(List<Part> parts, boolean complete, boolean malformed) {
    }

    @FuzzTest
    void parse(FuzzedDataProvider data) {
        boolean structured = data.consumeBoolean();
        byte[] body;
        List<Part> sent = new ArrayList<>();
        if (structured) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(ascii(data.consumeBoolean() ? "preamble\r\n" : ""));
            int parts = data.consumeInt(0, 4);
            for (int i = 0; i < parts; i++) {
                String name = token(data.consumeAsciiString(12), "field" + i);
                String filename = data.consumeBoolean() ? token(data.consumeAsciiString(12), "f.jsonl") : null;
                byte[] content = data.consumeBytes(256);
                if (contains(content, ascii("\r\n--" + BOUNDARY))) {
                    return; // a body cannot contain its own delimiter
                }
                sent.add(new Part(name, filename, content));
                out.writeBytes(ascii("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
                        + (filename == null ? "" : "; filename=\"" + filename + "\"") + "\r\nContent-Type: application/octet-stream\r\n\r\n"));
                out.writeBytes(content);
                out.writeBytes(ascii("\r\n"));
            }
            out.writeBytes(ascii("--" + BOUNDARY + "--\r\nepilogue"));
            body = out.toByteArray();
        } else {
            body = data.consumeBytes(4096);
        }
        int[] sizes = new int[1 + data.remainingBytes()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = 1 + data.consumeInt(0, 127);
        }

        Outcome whole = run(body, new int[] {Math.max(1, body.length)});
        Outcome split = run(body, sizes);
        assertThat(split).as("parse depends on how the body was split").isEqualTo(whole);
        if (structured) {
            assertThat(whole.malformed()).isFalse();
            assertThat(whole.complete()).isTrue();
            assertThat(whole.parts()).isEqualTo(sent);
        }
    }

    private static Outcome run(byte[] body, int[] sizes) {
        Recorder recorder = new Recorder();
        MultipartParser parser = new MultipartParser(BOUNDARY, recorder);
        int at = 0;
        int read = 0;
        try {
            while (at < body.length) {
                int size = Math.min(sizes[Math.min(read++, sizes.length - 1)], body.length - at);
                parser.feed(Arrays.copyOfRange(body, at, at + size));
                at += size;
            }
        } catch (MultipartParser.MalformedException e) {
            return new Outcome(recorder.parts, parser.complete(), true);
        }
        return new Outcome(recorder.parts, parser.complete(), false);
    }

    /** Plain checks in the per-read callbacks: AssertJ there would make the target a hundred times slower. */
    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }

    /** Records the listener calls, checking that they nest. */
    private static final class Recorder implements MultipartParser.Listener {
        final List<Part> parts = new ArrayList<>();
        private String name;
        private String filename;
        private ByteArrayOutputStream current;

        @Override
        public void partStart(String name, String filename) {
            check(current == null, "part started inside a part");
            this.name = name;
            this.filename = filename;
            current = new ByteArrayOutputStream();
        }

        @Override
        public void data(byte[] bytes, int offset, int length) {
            check(current != null, "data outside a part");
            check(length > 0, "empty data call");
            current.write(bytes, offset, length);
        }

        @Override
        public void partEnd() {
            check(current != null, "part ended outside a part");
            parts.add(new Part(name, filename, current.toByteArray()));
            current = null;
        }
    }

    /** A header parameter value the generator may use: printable, no quote, semicolon or backslash. */
    private static String token(String fuzzed, String fallback) {
        String clean = fuzzed.replaceAll("[^A-Za-z0-9._-]", "");
        return clean.isEmpty() ? fallback : clean;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (haystack[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
