package dev.veil.protocol.attestation.nvidia;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for parsing an NVIDIA GPU attestation report (SPDM GET_MEASUREMENTS request and MEASUREMENTS response,
 * measurement blocks, OpaqueData). In {@code ./mvnw verify} it runs the inputs under
 * {@code src/test/resources/dev/veil/protocol/attestation/nvidia/GpuReportFuzzTestInputs}; {@code .ci/fuzz} fuzzes it
 * (docs/fuzzing.md).
 *
 * <p>Property: malformed input is refused only with the typed {@link GpuFormatException}, never another exception;
 * a parsed report's accessors do not throw either.
 */
class GpuReportFuzzTest {

    @FuzzTest
    void parse(byte[] report) {
        try {
            SpdmReport r = SpdmReport.parse(report);
            r.describe();
            r.opaque().vbiosVersion();
            r.opaque().fwidHex();
        } catch (GpuFormatException refused) {
            // typed refusal
        }
    }
}
