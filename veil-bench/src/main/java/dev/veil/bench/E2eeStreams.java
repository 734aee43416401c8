package dev.veil.bench;

import dev.veil.client.StreamListener;
import dev.veil.client.VeilClient;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.time.Duration;
import java.util.Set;
import org.HdrHistogram.Histogram;

/**
 * End-to-end encrypted streams with the Java SDK ({@link VeilClient}): it attests the node (simulated evidence,
 * allowed here), seals each request with HPKE to the node's key, and opens each sealed chunk as it arrives. Measured
 * like {@link LoadGen#streams}: time from the call to the first decrypted chunk, and the gaps between chunks.
 */
public final class E2eeStreams implements AutoCloseable {

    private final VeilClient client;

    /**
     * @param origin a gateway's origin (with {@code apiKey}) or a node's (without)
     */
    public E2eeStreams(String origin, String apiKey) {
        this.client = VeilClient.builder().baseUrl(origin).apiKey(apiKey)
                .policy(new AttestationPolicy(Set.of(), Set.of(), true))
                .attestationTtl(Duration.ofHours(1))
                .requestTimeout(Duration.ofSeconds(10))
                .build();
    }

    /** {@code warm + count} streams one after another on the calling thread. */
    public LoadGen.Streams run(String model, byte[] body, int warm, int count, int expectedChunks) {
        Histogram ttft = Stats.histogram();
        Histogram gap = Stats.histogram();
        long ok = 0;
        long exact = 0;
        long frames = 0;
        String firstError = null;
        int failuresInARow = 0;
        for (int i = 0; i < warm + count; i++) {
            if (failuresInARow >= 3) {
                // Something is broken (each failure may have waited for the request timeout): stop, say why.
                return new LoadGen.Streams(ttft, gap, count, ok, exact, (long) expectedChunks * count, frames,
                        "stopped after 3 failed streams in a row: " + firstError);
            }
            boolean measured = i >= warm;
            long t0 = System.nanoTime();
            long[] first = {-1};
            long[] last = {0};
            int[] chunks = {0};
            boolean[] done = {false};
            try {
                client.stream("/v1/chat/completions", model, body, new StreamListener() {
                    @Override
                    public void onChunk(byte[] data) {
                        long now = System.nanoTime();
                        switch (Sse.classify(data, 0, data.length)) {
                            case CHUNK -> {
                                if (first[0] < 0) {
                                    first[0] = now;
                                } else if (measured) {
                                    Stats.record(gap, now - last[0]);
                                }
                                last[0] = now;
                                chunks[0]++;
                            }
                            case DONE -> done[0] = true;
                            default -> {
                                // usage, comments
                            }
                        }
                    }
                });
                failuresInARow = done[0] ? 0 : failuresInARow + 1;
                if (measured) {
                    frames += chunks[0];
                    if (done[0] && first[0] >= 0) {
                        ok++;
                        Stats.record(ttft, first[0] - t0);
                        if (chunks[0] == expectedChunks) {
                            exact++;
                        } else if (firstError == null) {
                            firstError = "got " + chunks[0] + " chunks, expected " + expectedChunks;
                        }
                    } else if (firstError == null) {
                        firstError = done[0] ? "no chunk" : "stream ended without [DONE]";
                    }
                }
            } catch (Exception e) {
                failuresInARow++;
                if (firstError == null) {
                    firstError = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
                }
            }
        }
        return new LoadGen.Streams(ttft, gap, count, ok, exact, (long) expectedChunks * count, frames, firstError);
    }

    @Override
    public void close() {
        client.close();
    }
}
