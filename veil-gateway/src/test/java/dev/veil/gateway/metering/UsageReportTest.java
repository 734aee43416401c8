package dev.veil.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import java.time.LocalDate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class UsageReportTest {

    private final UsageReport report = new UsageReport(new JsonWriter(new JsonFactory()));
    private final LocalDate today = LocalDate.of(2026, 12, 2);

    @Test
    void defaultsToTheLast30Days() throws Exception {
        UsageReport.Range range = report.range(null, null, today);
        assertThat(range.to()).isEqualTo(today);
        assertThat(range.from()).isEqualTo(today.minusDays(29));
    }

    @ParameterizedTest
    @CsvSource({
            "+999999999-12-31, , start_date",
            ", +999999999-12-31, end_date",
            "-999999999-01-01, , start_date",
            ", -999999999-01-01, end_date",
            "10000-01-01, , start_date",
            "1969-12-31, 1970-01-10, start_date",
            "2026-13-01, , start_date",
    })
    void extremeOrInvalidDatesAre400sNamingTheParameter(String start, String end, String param) {
        assertThatThrownBy(() -> report.range(start, end, today))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.error().httpStatus()).isEqualTo(400);
                    assertThat(e.error().param()).isEqualTo(param);
                });
    }
}
