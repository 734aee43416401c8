package dev.veil.node;

import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.Receipt;
import dev.veil.protocol.e2ee.ResponseSealer;
import dev.veil.protocol.e2ee.SignedReceipt;
import dev.veil.protocol.e2ee.SigningKey;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.time.Clock;

/**
 * One encrypted response on the wire (docs/e2ee.md §5): HTTP 200 {@code application/veil-e2ee}, chunked; the response
 * nonce and sealed head, one sealed frame per body chunk, the final frame, then the signed receipt. Writes stop
 * quietly once the client is gone. Confined to the request's event loop.
 */
final class SealedResponse {

    /** What the receipt names besides the counts. */
    record ReceiptFacts(String nodeKeyId, String model, String path, byte[] requestHash) {
    }

    private final HttpServerResponse response;
    private final ResponseSealer sealer;
    private final SigningKey signingKey;
    private final ReceiptFacts facts;
    private final Clock clock;
    private boolean begun;
    private boolean ended;

    SealedResponse(HttpServerResponse response, ResponseSealer sealer, SigningKey signingKey, ReceiptFacts facts,
                   Clock clock) {
        this.response = response;
        this.sealer = sealer;
        this.signingKey = signingKey;
        this.facts = facts;
        this.clock = clock;
    }

    /** Sends the HTTP head, the response nonce and the sealed head carrying the engine's own status. */
    void begin(int engineStatus, String engineContentType) {
        begun = true;
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader("content-type", E2ee.CONTENT_TYPE)
                .putHeader("cache-control", "no-store");
        write(Buffer.buffer(sealer.start()).appendBytes(sealer.head(engineStatus, engineContentType)));
    }

    /** Seals one body chunk (a whole answer, or one complete SSE event). */
    void chunk(byte[] data) {
        write(Buffer.buffer(sealer.chunk(data)));
    }

    /**
     * Ends the response: the final sealed frame carrying {@code lastData} (often empty), then the receipt signing the
     * token counts and both hashes.
     */
    void finish(byte[] lastData, long promptTokens, long completionTokens) {
        finish(lastData, promptTokens, completionTokens, false);
    }

    /** As {@link #finish(byte[], long, long)}; {@code estimated}: the counts are the node's own, not the engine's. */
    void finish(byte[] lastData, long promptTokens, long completionTokens, boolean estimated) {
        if (ended) {
            return;
        }
        ended = true;
        byte[] last = sealer.finish(lastData);
        Receipt receipt = new Receipt(1, facts.nodeKeyId(), facts.model(), facts.path(), E2ee.hex(facts.requestHash()),
                E2ee.hex(sealer.responseHash()), promptTokens, completionTokens, clock.instant().getEpochSecond(),
                estimated);
        byte[] receiptFrame = sealer.receiptFrame(SignedReceipt.sign(receipt, signingKey));
        if (!gone()) {
            response.end(Buffer.buffer(last.length + receiptFrame.length).appendBytes(last).appendBytes(receiptFrame));
        }
    }

    boolean begun() {
        return begun;
    }

    boolean ended() {
        return ended;
    }

    /** Whether the client's write queue is full: the engine should pause until {@code onDrain}. */
    boolean writeQueueFull() {
        return !gone() && response.writeQueueFull();
    }

    void onDrain(Runnable action) {
        response.drainHandler(v -> action.run());
    }

    private boolean gone() {
        return response.closed() || response.ended();
    }

    private void write(Buffer bytes) {
        if (!gone()) {
            response.write(bytes);
        }
    }
}
