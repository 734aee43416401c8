package dev.veil.bench.jmh;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.metering.MetadataMinimisation;
import dev.veil.gateway.metering.PrivacyReceipt;
import dev.veil.gateway.openai.Usage;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.protocol.RequestLogMode;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.receipt.GatewayReceipt;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The signed privacy receipt's cost per request (docs/benchmarks.md, "Signed receipts"): what the gateway adds to
 * every answer over the unsigned receipt it rendered before, i.e. the SHA-256 of the request body and one Ed25519
 * signature (two for a stream: its header and its closing comment). The route's rendering is cached, as in the
 * gateway, so {@link #issueOnly} is the old cost of splicing the request id into the cached receipt (plus the hash).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ReceiptSignBench {

    static final String CONFIG = """
            upstreams:
              - {name: fake, base_url: "http://127.0.0.1:9/v1"}
            models:
              - id: llama-3.1-8b
                routes:
                  - name: fake-zdr
                    upstream: fake
                    model: meta-llama/Llama-3.1-8B-Instruct
                    policy: {trains: false, retention_days: 0, zdr: true, jurisdiction: EU}
            """;

    byte[] body;
    byte[] bigBody;
    Route route;
    PrivacyReceipt receipts;
    Usage usage = new Usage(61, 256, 317);
    GatewayReceipt signed;
    byte[] publicKey;
    int sequence;

    @Setup
    public void setUp() {
        body = RequestRewriteBench.CHAT;
        bigBody = "x".repeat(16 * 1024).getBytes(StandardCharsets.US_ASCII);
        VeilConfig config = ConfigLoader.parse(CONFIG, Map.of());
        route = ModelCatalog.from(config, Map.of()).find("llama-3.1-8b").routes().get(0);
        SigningKey key = SigningKey.generate();
        publicKey = key.publicKey();
        receipts = new PrivacyReceipt(new JsonWriter(new JsonFactory()), new MetadataMinimisation(RequestLogMode.HOUR, 30),
                key);
        signed = receipts.issue("req_0123456789abcdef", null, route, body, false, null, true).sign(usage);
    }

    private String requestId() {
        return "req_" + Integer.toHexString(++sequence);
    }

    /** The cached receipt with this request's id and body hash spliced in, unsigned (hash included). */
    @Benchmark
    public Object issueOnly() {
        return receipts.issue(requestId(), null, route, body, false, null, true);
    }

    /** SHA-256 of a typical chat body (about 500 bytes). */
    @Benchmark
    public String bodyHash() {
        return GatewayReceipt.bodySha256(body);
    }

    /** SHA-256 of a 16 KiB body. */
    @Benchmark
    public String bodyHash16k() {
        return GatewayReceipt.bodySha256(bigBody);
    }

    /** **Per whole answer**: issue (splice + hash) and one signature, as the header receipt with the counts. */
    @Benchmark
    public GatewayReceipt issueAndSignWhole() {
        return receipts.issue(requestId(), null, route, body, false, null, true).sign(usage);
    }

    /** **Per stream**: issue and two signatures (header without counts, closing comment with them). */
    @Benchmark
    public String issueAndSignStream() {
        PrivacyReceipt.Issued issued = receipts.issue(requestId(), null, route, body, false, null, true);
        return issued.sign(null).signatureText() + issued.closingComment(usage);
    }

    /** What a client adds: verify the signature and parse the receipt (body hash included). */
    @Benchmark
    public Object clientVerify() throws Exception {
        return signed.verify(publicKey, body, null);
    }
}
