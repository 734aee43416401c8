package dev.veil.protocol.attestation.nvidia;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for parsing an NVIDIA RIM (SWID XML with an enveloped signature and its certificates). In
 * {@code ./mvnw verify} it runs the inputs under
 * {@code src/test/resources/dev/veil/protocol/attestation/nvidia/RimFuzzTestInputs}; {@code .ci/fuzz} fuzzes it
 * (docs/fuzzing.md).
 *
 * <p>Property: malformed or hostile XML (DTDs, entities) is refused only with the typed {@link GpuFormatException},
 * never another exception.
 */
class RimFuzzTest {

    @FuzzTest
    void parse(byte[] xml) {
        try {
            Rim.parse(xml);
        } catch (GpuFormatException refused) {
            // typed refusal
        }
    }
}
