package dev.veil.protocol.e2ee;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for opening an e2ee request body ({@code hdr || enc || ct}) on a node. In {@code ./mvnw verify} it runs
 * the inputs under {@code src/test/resources/dev/veil/protocol/e2ee/RequestOpeningFuzzTestInputs}; {@code .ci/fuzz}
 * fuzzes it (docs/fuzzing.md).
 *
 * <p>Property: any body is refused only with a typed {@link E2eeException}, never another exception.
 */
class RequestOpeningFuzzTest {

    @FuzzTest
    void open(byte[] body) {
        try {
            OpenedRequest.open(E2eeFuzzFixture.NODE, new ReplayGuard(4), E2eeFuzzFixture.META, body);
        } catch (E2eeException refused) {
            // typed refusal: what the node answers with
        }
    }
}
