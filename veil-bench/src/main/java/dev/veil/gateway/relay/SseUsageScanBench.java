package dev.veil.gateway.relay;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.UsageReader;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The gateway's per-event stream work ({@link SseUsageFilter}, package-private, hence this package): a content
 * chunk passes a byte scan for {@code "usage"}; the final usage chunk is parsed for its counts and dropped; a whole
 * 20-chunk stream with its usage chunk and {@code [DONE]}, one event per read as engines send them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SseUsageScanBench {

    static final String HEAD = "{\"id\":\"chatcmpl-9x2Lq0aBcDeFgHiJkLmNoPqRsTu\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"system_fingerprint\":\"fp_44709d6fcb\",";
    static final Buffer CONTENT = event(HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" packets\"},"
            + "\"logprobs\":null,\"finish_reason\":null}]}");
    static final Buffer USAGE = event(HEAD + "\"choices\":[],\"usage\":{\"prompt_tokens\":61,\"completion_tokens\":18,"
            + "\"total_tokens\":79}}");
    static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

    static Buffer event(String json) {
        return Buffer.buffer(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** A 256 KiB event (one huge delta) arriving in 4 KiB reads, then [DONE]. */
    static final Buffer[] LARGE_EVENT_READS = split(event(HEAD + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
            + "x".repeat(256 * 1024) + "\"}}]}"), 4 * 1024);

    static Buffer[] split(Buffer whole, int size) {
        Buffer[] parts = new Buffer[(whole.length() + size - 1) / size];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = whole.getBuffer(i * size, Math.min(whole.length(), (i + 1) * size));
        }
        return parts;
    }

    UsageReader reader;
    SseUsageFilter filter;

    @Setup
    public void setUp() {
        JsonFactory json = RequestInspector.strictFactory();
        reader = new UsageReader(json);
        filter = new SseUsageFilter(reader, false);
    }

    /** One content chunk: the common case, forwarded as it came. */
    @Benchmark
    public Buffer contentChunk() {
        return filter.accept(CONTENT);
    }

    /** The final usage chunk: parsed for the counts, dropped for a client that did not ask for it. */
    @Benchmark
    public Buffer usageChunk() {
        return filter.accept(USAGE);
    }

    /** A whole stream: 20 content chunks, the usage chunk and [DONE], each its own read. */
    @Benchmark
    public long wholeStream() {
        SseUsageFilter f = new SseUsageFilter(reader, false);
        long bytes = 0;
        for (int i = 0; i < 20; i++) {
            bytes += f.accept(CONTENT).length();
        }
        bytes += f.accept(USAGE).length();
        bytes += f.accept(DONE).length();
        return bytes + f.usage().totalTokens();
    }

    /** One large event in many reads: the pending bytes must be appended and scanned once, not re-copied per read. */
    @Benchmark
    public long largeEventInReads() {
        SseUsageFilter f = new SseUsageFilter(reader, false);
        long bytes = 0;
        for (Buffer read : LARGE_EVENT_READS) {
            bytes += f.accept(read).length();
        }
        return bytes + f.accept(DONE).length();
    }
}
