package dev.veil.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.openai.UsageReader;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target for SSE scanning: {@link SseUsageFilter} through its API only ({@code accept}, {@code finish}). In
 * {@code ./mvnw verify} it runs the inputs under {@code src/test/resources/dev/veil/gateway/relay/SseUsageFilterFuzzTestInputs};
 * {@code .ci/fuzz} fuzzes it (docs/fuzzing.md).
 *
 * <p>Properties: it never throws; the concatenated output equals the input minus the dropped usage events, for
 * any split of the input into reads. A structured stream (free-form events without {@code usage}, usage chunks,
 * {@code [DONE]}, an unterminated tail) has its expected output computed independently; a raw byte stream must pass
 * unchanged when usage is forwarded, and must not depend on how it was split when usage is dropped.
 */
class SseUsageFilterFuzzTest {

    private static final UsageReader USAGE = new UsageReader(RequestInspector.strictFactory());

    @FuzzTest
    void filterStream(FuzzedDataProvider data) {
        boolean forwardUsage = data.consumeBoolean();
        boolean structured = data.consumeBoolean();
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        Usage lastUsage = null;
        if (structured) {
            int events = data.consumeInt(0, 16);
            for (int i = 0; i < events; i++) {
                int kind = data.consumeInt(0, 3);
                byte[] event;
                boolean dropped = false;
                if (kind <= 1) {
                    long prompt = data.consumeLong(0, 1_000_000);
                    long completion = data.consumeLong(0, 1_000_000);
                    lastUsage = new Usage(prompt, completion, prompt + completion);
                    String choices = kind == 0 ? "[]" : "[{\"index\":0,\"delta\":{\"content\":\"x\"}}]";
                    event = ("data: {\"id\":\"c\",\"choices\":" + choices + ",\"usage\":{\"prompt_tokens\":" + prompt
                            + ",\"completion_tokens\":" + completion + ",\"total_tokens\":" + (prompt + completion) + "}}\n\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    dropped = kind == 0 && !forwardUsage;
                } else if (kind == 2) {
                    event = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
                } else {
                    event = concat(freeForm(data.consumeBytes(64)), "\n\n".getBytes(StandardCharsets.US_ASCII));
                }
                input.writeBytes(event);
                if (!dropped) {
                    expected.writeBytes(event);
                }
            }
            byte[] tail = freeForm(data.consumeBytes(32));
            input.writeBytes(tail);
            expected.writeBytes(tail);
        } else {
            byte[] raw = data.consumeBytes(4096);
            input.writeBytes(raw);
            expected.writeBytes(raw);
        }
        byte[] stream = input.toByteArray();

        SseUsageFilter filter = new SseUsageFilter(USAGE, forwardUsage);
        byte[] whole = run(filter, stream, new int[] {stream.length});
        int[] splits = new int[1 + data.remainingBytes()];
        for (int i = 0; i < splits.length; i++) {
            splits[i] = 1 + data.consumeInt(0, 63);
        }
        SseUsageFilter split = new SseUsageFilter(USAGE, forwardUsage);
        byte[] pieces = run(split, stream, splits);

        assertThat(pieces).as("output depends on how the stream was split").isEqualTo(whole);
        if (structured || forwardUsage) {
            assertThat(whole).isEqualTo(expected.toByteArray());
        } else {
            assertThat(whole.length).isLessThanOrEqualTo(stream.length);
        }
        if (structured) {
            assertThat(filter.usage()).isEqualTo(lastUsage);
            assertThat(split.usage()).isEqualTo(lastUsage);
        }
    }

    /** Feeds {@code stream} in reads of the given sizes (the last size repeats) and returns all the output. */
    private static byte[] run(SseUsageFilter filter, byte[] stream, int[] sizes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        int read = 0;
        while (at < stream.length) {
            int size = Math.min(Math.max(1, sizes[Math.min(read++, sizes.length - 1)]), stream.length - at);
            out.writeBytes(filter.accept(Buffer.buffer(java.util.Arrays.copyOfRange(stream, at, at + size))).getBytes());
            at += size;
        }
        out.writeBytes(filter.finish().getBytes());
        return out.toByteArray();
    }

    /**
     * Fuzzed bytes made into one event's text: no CR, no blank line, no leading or trailing LF (so no event boundary
     * inside or at its edges), and no {@code usage} (so it can never be taken for the usage chunk).
     */
    private static byte[] freeForm(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        String before;
        do {
            before = text;
            text = text.replace("\r", "").replace("\n\n", "\n").replace("usage", "").replaceAll("^\n+|\n+$", "");
        } while (!text.equals(before));
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
