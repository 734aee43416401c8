package dev.veil.gateway.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.protocol.RequestLogMode;
import dev.veil.store.RequestRecord;
import dev.veil.store.RequestTotal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UsageSummaryTest {

    private static RequestRecord row(String model, int status, long latency, Long ttft) {
        return new RequestRecord("req_x", "key_a", Instant.parse("2026-06-01T10:00:00Z"), "chat.completions", model,
                "route-" + model, "private", status, latency, ttft, 10, 5, 15, 100, RequestLogMode.FULL);
    }

    private static JsonNode json(UsageSummary summary) throws Exception {
        byte[] body = new JsonWriter(new JsonFactory()).write(g -> {
            g.writeStartObject();
            summary.write(g);
            g.writeEndObject();
        });
        return new ObjectMapper().readTree(body);
    }

    @Test
    void percentilesAreWithinAboutOnePercentOfTheExactOnes() {
        Random random = new Random(17);
        UsageSummary.Histogram h = new UsageSummary.Histogram();
        long[] values = new long[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = 1 + (long) Math.abs(random.nextGaussian() * 800);
            h.add(values[i]);
        }
        java.util.Arrays.sort(values);
        for (double q : new double[] {0.5, 0.9, 0.95, 0.99}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            assertThat((double) h.quantile(q)).as("p" + q).isCloseTo(exact, within(Math.max(1.0, exact * 0.011)));
        }
        assertThat(h.quantile(1.0)).isEqualTo(values[values.length - 1]);
    }

    @Test
    void groupsCountErrorsTokensAndCostAndFoldDailyTotalsIn() throws Exception {
        UsageSummary summary = new UsageSummary(UsageSummary.GroupBy.MODE, Map.of("route-b", "tee")::get);
        summary.add(row("a", 200, 100, 20L));
        summary.add(row("a", 502, 300, null));
        summary.add(new RequestTotal("key_b", LocalDate.parse("2026-06-01"), "chat.completions", "b", "route-b", "4xx",
                3, 30, 0, 30, 0));
        summary.add(new RequestTotal("key_b", LocalDate.parse("2026-06-01"), "chat.completions", "b", null, "5xx",
                2, 0, 0, 0, 0));
        JsonNode out = json(summary);
        assertThat(out.path("group_by").asText()).isEqualTo("mode");
        assertThat(out.path("groups").findValuesAsText("group")).containsExactly("(none)", "private", "tee");
        JsonNode priv = out.path("groups").get(1);
        assertThat(priv.path("requests").asLong()).isEqualTo(2);
        assertThat(priv.path("errors").asLong()).isEqualTo(1);
        assertThat(priv.path("error_rate").asDouble()).isEqualTo(0.5);
        assertThat(priv.path("ttft_ms").path("count").asLong()).isEqualTo(1);
        assertThat(priv.path("cost_usd").asDouble()).isEqualTo(0.0002);
        JsonNode tee = out.path("groups").get(2);
        assertThat(tee.path("errors").asLong()).isEqualTo(3);
        assertThat(tee.path("latency_ms").isNull()).as("daily totals have no times").isTrue();
        JsonNode totals = out.path("totals");
        assertThat(totals.path("requests").asLong()).isEqualTo(7);
        assertThat(totals.path("server_errors").asLong()).isEqualTo(3);
        assertThat(totals.path("prompt_tokens").asLong()).isEqualTo(50);
    }

    @Test
    void groupsBeyondTheCapCountAsOther() throws Exception {
        UsageSummary summary = new UsageSummary(UsageSummary.GroupBy.MODEL, r -> null);
        for (int i = 0; i < UsageSummary.MAX_GROUPS + 5; i++) {
            summary.add(row(String.format("m%05d", i), 200, 10, null));
        }
        JsonNode out = json(summary);
        assertThat(out.path("groups").size()).isEqualTo(UsageSummary.MAX_GROUPS + 1);
        assertThat(out.path("totals").path("requests").asLong()).isEqualTo(UsageSummary.MAX_GROUPS + 5);
    }
}
