package dev.veil.protocol.attestation.nvidia;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for parsing NVIDIA's serialised GPU evidence JSON. In {@code ./mvnw verify} it runs the inputs under
 * {@code src/test/resources/dev/veil/protocol/attestation/nvidia/GpuEvidenceListFuzzTestInputs}; {@code .ci/fuzz}
 * fuzzes it (docs/fuzzing.md).
 *
 * <p>Property: malformed input is refused only with the typed {@link GpuFormatException}, never another exception.
 */
class GpuEvidenceListFuzzTest {

    @FuzzTest
    void parse(byte[] json) {
        try {
            GpuEvidenceList.parse(json);
        } catch (GpuFormatException refused) {
            // typed refusal
        }
    }
}
