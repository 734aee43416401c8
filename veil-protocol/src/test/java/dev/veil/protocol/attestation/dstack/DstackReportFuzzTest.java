package dev.veil.protocol.attestation.dstack;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for reading hosted providers' dstack-shape attestation reports. In {@code ./mvnw verify} it runs the
 * inputs under {@code src/test/resources/dev/veil/protocol/attestation/dstack/DstackReportFuzzTestInputs};
 * {@code .ci/fuzz} fuzzes it (docs/fuzzing.md).
 *
 * <p>Property: malformed input is refused only with the typed {@link DstackFormatException}, never another exception.
 */
class DstackReportFuzzTest {

    @FuzzTest
    void parse(byte[] json) {
        try {
            DstackReport.parse(json);
        } catch (DstackFormatException refused) {
            // typed refusal
        }
    }
}
