package dev.veil.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DataPolicyTest {

    @Test
    void undeclaredPolicyIsTheWorstCase() {
        assertThat(DataPolicy.UNKNOWN.mode()).isEqualTo(PrivacyMode.ANONYMIZED);
        assertThat(DataPolicy.UNKNOWN.neverTrains()).isFalse();
        assertThat(DataPolicy.UNKNOWN.zeroRetention()).isFalse();
        assertThat(DataPolicy.UNKNOWN.teeKind()).isEqualTo(TeeKind.NONE);
    }

    @Test
    void privateNeedsBothNoTrainingAndZeroRetention() {
        assertThat(new DataPolicy(false, 0, null, null, null, null, null).mode()).isEqualTo(PrivacyMode.PRIVATE);
        assertThat(new DataPolicy(false, null, true, null, null, null, null).mode()).isEqualTo(PrivacyMode.PRIVATE);
        assertThat(new DataPolicy(null, 0, true, null, null, null, null).mode()).isEqualTo(PrivacyMode.ANONYMIZED);
        assertThat(new DataPolicy(false, 30, false, null, null, null, null).mode()).isEqualTo(PrivacyMode.ANONYMIZED);
    }

    @Test
    void teeAndE2eeNestOnPrivate() {
        assertThat(new DataPolicy(false, 0, true, TeeKind.TDX, false, null, null).mode()).isEqualTo(PrivacyMode.TEE);
        assertThat(new DataPolicy(false, 0, true, TeeKind.SEV_SNP, true, null, null).mode()).isEqualTo(PrivacyMode.E2EE);
        // A TEE that retains data is only anonymized; e2ee without a TEE is only private.
        assertThat(new DataPolicy(false, 7, false, TeeKind.TDX, true, null, null).mode()).isEqualTo(PrivacyMode.ANONYMIZED);
        assertThat(new DataPolicy(false, 0, true, TeeKind.NONE, true, null, null).mode()).isEqualTo(PrivacyMode.PRIVATE);
    }

    @Test
    void wireNamesRoundTrip() {
        for (PrivacyMode mode : PrivacyMode.values()) {
            assertThat(PrivacyMode.fromWireName(mode.wireName())).isEqualTo(mode);
        }
        for (TeeKind kind : TeeKind.values()) {
            assertThat(TeeKind.fromWireName(kind.wireName())).isEqualTo(kind);
        }
        assertThat(TeeKind.SEV_SNP.wireName()).isEqualTo("sev-snp");
        assertThatThrownBy(() -> PrivacyMode.fromWireName("secret")).hasMessageContaining("anonymized, private, tee, e2ee");
    }

    @Test
    void errorSerialisesInOpenAiShape() {
        String json = new String(OpenAiError.invalidRequest("bad \"x\"", "messages", "invalid_type").toJson());
        assertThat(json).isEqualTo(
                "{\"error\":{\"message\":\"bad \\\"x\\\"\",\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":\"invalid_type\"}}");
    }
}
