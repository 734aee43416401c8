package dev.veil.bench.jmh;

import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.OpenedRequest;
import dev.veil.protocol.e2ee.ReplayGuard;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.protocol.e2ee.ResponseSealer;
import dev.veil.protocol.e2ee.SealedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The e2ee cost paid per streamed chunk: the node seals one SSE event (AES-256-GCM with the frame index and flags
 * bound, running SHA-256 for the receipt), the client opens it (frame parsing, the same check and hash).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ChunkBench {

    static final byte[] EVENT = ("data: {\"id\":\"chatcmpl-9x2Lq0aBcDeFgHiJkLmNoPqRsTu\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"meta-llama/Llama-3.1-8B-Instruct\",\"system_fingerprint\":\"fp_44709d6fcb\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" packets\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n")
            .getBytes(StandardCharsets.UTF_8);

    ResponseSealer sealer;
    ResponseOpener opener;
    ResponseSealer sealOnly;

    @Setup
    public void setUp() throws E2eeException {
        NodeKeyPair node = NodeKeyPair.generate(3);
        RequestMeta meta = new RequestMeta("/v1/chat/completions", "llama-3.1-8b", true);
        SealedRequest sealed = SealedRequest.seal(node.keyConfig(), meta, RequestRewriteBench.CHAT);
        OpenedRequest opened = OpenedRequest.open(node, new ReplayGuard(16), meta, sealed.body());
        sealer = opened.responseSealer();
        byte[] nonce = sealer.start();
        byte[] head = sealer.head(200, "text/event-stream");
        opener = sealed.responseOpener();
        opener.accept(nonce);
        opener.accept(head);
        sealOnly = opened.responseSealer();
        sealOnly.start();
    }

    /** Node: one event sealed into a frame. */
    @Benchmark
    public byte[] nodeSealChunk() {
        return sealOnly.chunk(EVENT);
    }

    /** Node seals and client opens one event: the whole per-chunk crypto. */
    @Benchmark
    public List<ResponseOpener.Part> sealAndOpenChunk() throws E2eeException {
        return opener.accept(sealer.chunk(EVENT));
    }
}
