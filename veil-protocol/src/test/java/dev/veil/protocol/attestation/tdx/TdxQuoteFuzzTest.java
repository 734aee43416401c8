package dev.veil.protocol.attestation.tdx;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Fuzz target for parsing an Intel TDX quote (header, TD report, signature data, QE report and certification data).
 * In {@code ./mvnw verify} it runs the inputs under
 * {@code src/test/resources/dev/veil/protocol/attestation/tdx/TdxQuoteFuzzTestInputs}; {@code .ci/fuzz} fuzzes it
 * (docs/fuzzing.md).
 *
 * <p>Property: malformed input is refused only with the typed {@link TdxFormatException}, never another exception.
 */
class TdxQuoteFuzzTest {

    @FuzzTest
    void parse(byte[] quote) {
        try {
            TdxQuote.parse(quote);
        } catch (TdxFormatException refused) {
            // typed refusal
        }
    }
}
