package dev.veil.bench.jmh;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.protocol.api.Endpoint;
import dev.veil.gateway.openai.InferenceRequest;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.RequestRewriter;
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
 * The gateway's per-request body work on a typical chat request (system and user message, sampling parameters, an
 * end-user id, a privacy policy): validation and extraction in one streaming pass ({@link RequestInspector}), then
 * the upstream body ({@link RequestRewriter}: model renamed, identity and routing fields dropped, usage requested).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class RequestRewriteBench {

    static final byte[] CHAT = ("{\"model\":\"llama-3.1-8b\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a "
            + "helpful assistant. Answer briefly and precisely, and say so when you do not know.\"},{\"role\":\"user\","
            + "\"content\":\"Summarise the main differences between TCP and UDP in three bullet points, for a reader who "
            + "knows what a packet is but not much more.\"}],\"temperature\":0.7,\"top_p\":0.95,\"max_tokens\":256,"
            + "\"stream\":true,\"user\":\"user-8f14e45f\",\"privacy\":{\"min_mode\":\"private\"}}")
            .getBytes(StandardCharsets.UTF_8);

    RequestInspector inspector;
    RequestRewriter rewriter;
    InferenceRequest inspected;

    @Setup
    public void setUp() throws Exception {
        JsonFactory json = RequestInspector.strictFactory();
        inspector = new RequestInspector(json);
        rewriter = new RequestRewriter(json);
        inspected = inspector.inspect(Endpoint.CHAT_COMPLETIONS, CHAT);
    }

    /** Validation and extraction of model, stream flag and routing policy. */
    @Benchmark
    public InferenceRequest inspect() throws Exception {
        return inspector.inspect(Endpoint.CHAT_COMPLETIONS, CHAT);
    }

    /** The upstream body alone. */
    @Benchmark
    public byte[] rewrite() {
        return rewriter.rewrite(CHAT, inspected, "meta-llama/Llama-3.1-8B-Instruct");
    }

    /** Both, as the gateway does them for every request. */
    @Benchmark
    public byte[] inspectAndRewrite() throws Exception {
        InferenceRequest r = inspector.inspect(Endpoint.CHAT_COMPLETIONS, CHAT);
        return rewriter.rewrite(CHAT, r, "meta-llama/Llama-3.1-8B-Instruct");
    }
}
