package dev.veil.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.protocol.RequestLogMode;
import dev.veil.store.LedgerEntry;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.List;
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

    @Test
    void reportSaysWhatTheRequestLogKeepsForTheKey() {
        UsageReport.Range range = new UsageReport.Range(today, today);
        String body = new String(report.write("key_a", range,
                List.of(new LedgerEntry("key_a", today, "m", 2, 3, 4, 5)), RequestLogMode.HOUR, 7), StandardCharsets.UTF_8);

        assertThat(body).endsWith("\"request_log\":{\"mode\":\"hour\",\"time\":\"hour\",\"retention_days\":7}}")
                .contains("\"requests\":2");
        assertThat(new String(report.write("key_a", range, List.of(), RequestLogMode.DAILY_TOTALS, 30),
                StandardCharsets.UTF_8)).contains("\"request_log\":{\"mode\":\"daily_totals\",\"time\":\"day\",");
    }
}
