package dev.veil.gateway.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.openai.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExpiresAfterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void formFieldsInRangeGiveMilliseconds() throws Exception {
        assertThat(ExpiresAfter.fromForm(null, null)).isNull();
        assertThat(ExpiresAfter.fromForm("created_at", "3600")).isEqualTo(3_600_000L);
        assertThat(ExpiresAfter.fromForm(null, " 2592000 ")).isEqualTo(2_592_000_000L);
    }

    @ParameterizedTest
    @ValueSource(strings = {"3599", "2592001", "0", "-3600", "9223372036854775807", "99999999999999999999999", "3600.5",
            "1e4", "", "abc", "0x1000"})
    void formSecondsOutOfRangeOrNotWholeAreRefusedNamingTheField(String seconds) {
        assertThatThrownBy(() -> ExpiresAfter.fromForm("created_at", seconds))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.error().httpStatus()).isEqualTo(400);
                    assertThat(e.error().param()).isEqualTo("expires_after[seconds]");
                });
    }

    @Test
    void formAnchorMustBeCreatedAtAndNeedsSeconds() {
        assertThatThrownBy(() -> ExpiresAfter.fromForm("last_active_at", "3600"))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.error().param()).isEqualTo("expires_after[anchor]"));
        assertThatThrownBy(() -> ExpiresAfter.fromForm("created_at", null))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.error().param()).isEqualTo("expires_after[seconds]"));
    }

    @Test
    void batchOutputExpiryIsCheckedTheSameWay() throws Exception {
        assertThat(ExpiresAfter.fromJson(null, "output_expires_after")).isNull();
        assertThat(ExpiresAfter.fromJson(JSON.readTree("{\"anchor\":\"created_at\",\"seconds\":7200}"),
                "output_expires_after")).isEqualTo(7_200_000L);
        for (String[] bad : new String[][] {
                {"{\"anchor\":\"created_at\",\"seconds\":1e30}", "output_expires_after.seconds"},
                {"{\"anchor\":\"created_at\",\"seconds\":99999999999999999999999}", "output_expires_after.seconds"},
                {"{\"anchor\":\"created_at\",\"seconds\":3600.5}", "output_expires_after.seconds"},
                {"{\"anchor\":\"created_at\",\"seconds\":\"3600\"}", "output_expires_after.seconds"},
                {"{\"anchor\":\"created_at\",\"seconds\":60}", "output_expires_after.seconds"},
                {"{\"anchor\":\"created_at\"}", "output_expires_after.seconds"},
                {"{\"anchor\":\"other\",\"seconds\":3600}", "output_expires_after.anchor"},
                {"{\"anchor\":5,\"seconds\":3600}", "output_expires_after.anchor"},
                {"3600", "output_expires_after"}}) {
            assertThatThrownBy(() -> ExpiresAfter.fromJson(JSON.readTree(bad[0]), "output_expires_after")).as(bad[0])
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                        assertThat(e.error().httpStatus()).isEqualTo(400);
                        assertThat(e.error().param()).isEqualTo(bad[1]);
                    });
        }
    }
}
