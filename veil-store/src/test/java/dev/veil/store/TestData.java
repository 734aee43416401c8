package dev.veil.store;

import java.time.Instant;

/** Builders for test rows. */
final class TestData {

    private TestData() {
    }

    static RequestRecord request(String requestId, String keyId, Instant createdAt, String model,
                                 long promptTokens, long completionTokens, long costMicros) {
        return new RequestRecord(requestId, keyId, createdAt, "/v1/chat/completions", model, "route-a", "private",
                200, 123, 45L, promptTokens, completionTokens, promptTokens + completionTokens, costMicros);
    }

    static RequestRecord request(String requestId, String keyId, Instant createdAt) {
        return request(requestId, keyId, createdAt, "model-a", 10, 20, 300);
    }
}
