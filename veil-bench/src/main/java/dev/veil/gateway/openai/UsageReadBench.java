package dev.veil.gateway.openai;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The usage read of a whole (non-stream) answer: {@code read} parses only the tail from the last {@code "usage"} key
 * (what the relay did before answers were validated); {@code readChecked} parses the whole answer once, checking it is
 * one well-formed JSON object with usage counts in range (what the relay does now).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class UsageReadBench {

    /** Characters of the answer's message content. */
    @Param({"200", "8000"})
    int contentChars;

    UsageReader reader;
    byte[] answer;

    @Setup
    public void setUp() {
        reader = new UsageReader(RequestInspector.strictFactory());
        StringBuilder content = new StringBuilder();
        while (content.length() < contentChars) {
            content.append("The packets travel through the gateway, one hop at a time. ");
        }
        answer = ("{\"id\":\"chatcmpl-9x2Lq0aBcDeFgHiJkLmNoPqRsTu\",\"object\":\"chat.completion\",\"created\":1700000000,"
                + "\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"" + content.substring(0, contentChars) + "\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":61,\"completion_tokens\":180,\"total_tokens\":241},"
                + "\"system_fingerprint\":\"fp_44709d6fcb\"}").getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public Usage read() {
        return reader.read(answer, 0, answer.length);
    }

    @Benchmark
    public Usage readChecked() throws UsageReader.Malformed {
        return reader.readChecked(answer, 0, answer.length);
    }
}
