package dev.veil.bench.jmh;

import dev.veil.protocol.e2ee.E2eeException;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.OpenedRequest;
import dev.veil.protocol.e2ee.ReplayGuard;
import dev.veil.protocol.e2ee.RequestMeta;
import dev.veil.protocol.e2ee.ResponseOpener;
import dev.veil.protocol.e2ee.ResponseSealer;
import dev.veil.protocol.e2ee.SealedRequest;
import dev.veil.protocol.e2ee.SigningKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The e2ee cost paid once per request (docs/e2ee.md): HPKE base-mode setup and seal on the client (X25519 key
 * generation and agreement, HKDF, AES-256-GCM), setup and open on the node, and both sides' response key derivation;
 * plus the Ed25519 receipt the node signs and the client verifies.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HpkeBench {

    static final byte[] BODY = RequestRewriteBench.CHAT;
    static final RequestMeta META = new RequestMeta("/v1/chat/completions", "llama-3.1-8b", true);
    static final byte[] RECEIPT = ("{\"v\":1,\"node_key_id\":\"0123456789abcdef0123456789abcdef\",\"model\":\"llama-3.1-8b\","
            + "\"path\":\"/v1/chat/completions\",\"request_sha256\":\"" + "ab".repeat(32) + "\",\"response_sha256\":\""
            + "cd".repeat(32) + "\",\"usage\":{\"prompt_tokens\":61,\"completion_tokens\":18},\"ts\":1700000000}")
            .getBytes(StandardCharsets.UTF_8);

    /** One node key for the whole JVM, so that requests sealed in {@link Sealed} open with it. */
    static final NodeKeyPair NODE = NodeKeyPair.generate(7);

    ReplayGuard replay;
    SigningKey signer;
    byte[] signature;
    byte[] sealedBody;

    @Setup(Level.Trial)
    public void setUp() {
        signer = SigningKey.generate();
        signature = signer.sign(RECEIPT);
    }

    @Setup(Level.Iteration)
    public void freshReplayGuard() {
        replay = new ReplayGuard(Integer.MAX_VALUE);
    }

    /** A request sealed by a client, for {@link #nodeOpen}; made outside the measurement. */
    @State(Scope.Thread)
    public static class Sealed {
        byte[] body;

        @Setup(Level.Invocation)
        public void seal() {
            body = SealedRequest.seal(NODE.keyConfig(), META, BODY).body();
        }
    }

    /** Client: HPKE setup to the node's key and seal of a typical chat request. */
    @Benchmark
    public byte[] clientSeal() {
        return SealedRequest.seal(NODE.keyConfig(), META, BODY).body();
    }

    /** Node: HPKE setup from the encapsulated key, open, replay check. */
    @Benchmark
    public OpenedRequest nodeOpen(Sealed sealed) throws E2eeException {
        return OpenedRequest.open(NODE, replay, META, sealed.body);
    }

    /**
     * Everything per request on both sides, chunks aside: client seal, node open, node response keys and sealed
     * head, client response keys and opened head.
     */
    @Benchmark
    public List<ResponseOpener.Part> requestSetupBothSides() throws E2eeException {
        SealedRequest sealed = SealedRequest.seal(NODE.keyConfig(), META, BODY);
        OpenedRequest opened = OpenedRequest.open(NODE, replay, META, sealed.body());
        ResponseSealer sealer = opened.responseSealer();
        byte[] nonce = sealer.start();
        byte[] head = sealer.head(200, "text/event-stream");
        byte[] both = new byte[nonce.length + head.length];
        System.arraycopy(nonce, 0, both, 0, nonce.length);
        System.arraycopy(head, 0, both, nonce.length, head.length);
        return sealed.responseOpener().accept(both);
    }

    /** Node: Ed25519 signature of a receipt. */
    @Benchmark
    public byte[] receiptSign() {
        return signer.sign(RECEIPT);
    }

    /** Client: verification of the receipt's signature. */
    @Benchmark
    public boolean receiptVerify() {
        return SigningKey.verify(signer.publicKey(), RECEIPT, signature);
    }
}
