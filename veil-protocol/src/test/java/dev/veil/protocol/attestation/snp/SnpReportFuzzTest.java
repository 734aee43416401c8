package dev.veil.protocol.attestation.snp;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Fuzz target for parsing an SEV-SNP attestation report and certificate table. In {@code ./mvnw verify} it runs the
 * inputs under {@code src/test/resources/dev/veil/protocol/attestation/snp/SnpReportFuzzTestInputs}; {@code .ci/fuzz}
 * fuzzes it (docs/fuzzing.md).
 *
 * <p>Property: malformed input is refused only with the typed {@link SnpFormatException} (the certificate table with
 * its documented {@link IllegalArgumentException}), never another exception.
 */
class SnpReportFuzzTest {

    @FuzzTest
    void parse(byte[] input) {
        try {
            SnpReport.parse(input);
        } catch (SnpFormatException refused) {
            // typed refusal
        }
        // A report has one fixed size; most mutations change it, so the fitted input reaches the field checks.
        try {
            SnpReport.parse(Arrays.copyOf(input, SnpReport.SIZE));
        } catch (SnpFormatException refused) {
            // typed refusal
        }
        try {
            SnpCertificateTable.parse(input);
        } catch (IllegalArgumentException refused) {
            // typed refusal, as documented
        }
    }
}
