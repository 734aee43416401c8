package dev.veil.client.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.attestation.AttestationPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFileTest {

    @Test
    void readsYaml(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("policy.yaml");
        Files.writeString(file, """
                allowed_formats: [sev-snp, tdx]
                allowed_measurements:
                  - "ABCDEF01"
                allow_simulated: false
                """);
        AttestationPolicy policy = PolicyFile.load(file);
        assertThat(policy.allowedFormats()).containsExactlyInAnyOrder("sev-snp", "tdx");
        assertThat(policy.allowedMeasurements()).containsExactly("abcdef01");
        assertThat(policy.allowSimulated()).isFalse();
    }

    @Test
    void readsJson() throws Exception {
        AttestationPolicy policy = PolicyFile.parse("{\"allowed_formats\":[\"simulated\"],\"allow_simulated\":true}");
        assertThat(policy).isEqualTo(new AttestationPolicy(Set.of("simulated"), Set.of(), true));
        assertThat(PolicyFile.parse("allow_simulated: false")).isEqualTo(AttestationPolicy.HARDWARE_ONLY);
    }

    @Test
    void namesUnknownFields() {
        assertThatThrownBy(() -> PolicyFile.parse("allowed_formats: [tdx]\nallow_simulation: true\nextra: 1\n"))
                .isInstanceOf(PolicyFile.InvalidPolicyException.class)
                .hasMessageContaining("allow_simulation").hasMessageContaining("extra")
                .hasMessageContaining("allowed: allowed_formats, allowed_measurements, allow_simulated");
    }

    @Test
    void refusesBadValues() {
        assertThatThrownBy(() -> PolicyFile.parse("allowed_formats: [sgx]"))
                .hasMessageContaining("unknown evidence format 'sgx'");
        assertThatThrownBy(() -> PolicyFile.parse("allowed_measurements: [\"xyz\"]")).hasMessageContaining("not a hex");
        assertThatThrownBy(() -> PolicyFile.parse("allow_simulated: maybe")).hasMessageContaining("true or false");
        assertThatThrownBy(() -> PolicyFile.parse("allowed_formats: tdx")).hasMessageContaining("list of strings");
        assertThatThrownBy(() -> PolicyFile.parse("")).hasMessageContaining("empty");
        assertThatThrownBy(() -> PolicyFile.parse("- a\n- b")).hasMessageContaining("mapping");
        assertThatThrownBy(() -> PolicyFile.parse("{\"allow_simulated\": true, \"allow_simulated\": false}"))
                .isInstanceOf(PolicyFile.InvalidPolicyException.class);
    }

    @Test
    void allowSimulatedSwitchAddsTheFormatWhereNeeded() {
        assertThat(PolicyFile.allowingSimulated(AttestationPolicy.HARDWARE_ONLY))
                .isEqualTo(new AttestationPolicy(Set.of(), Set.of(), true));
        assertThat(PolicyFile.allowingSimulated(new AttestationPolicy(Set.of("tdx"), Set.of("aa"), false)))
                .isEqualTo(new AttestationPolicy(Set.of("tdx", "simulated"), Set.of("aa"), true));
    }
}
