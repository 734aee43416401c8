package dev.veil.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veil.protocol.KeyPolicy.BudgetPeriod;
import dev.veil.protocol.KeyPolicyJson.InvalidPolicyException;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyPolicyJsonTest {

    private static final KeyPolicy CUSTOM = new KeyPolicy(null, PrivacyMode.TEE, Set.of("m-b", "m-a"),
            Set.of("route-z", "route-a"), Set.of("EU", "CH"), 10_500_000L, BudgetPeriod.DAY, 60, 100_000);

    @Test
    void everyPresetRoundTrips() {
        for (String name : KeyPolicy.PRESETS) {
            KeyPolicy preset = KeyPolicy.preset(name);
            String json = KeyPolicyJson.write(preset);
            assertThat(json).isEqualTo("{\"preset\":\"" + name + "\",\"min_mode\":\"" + preset.minMode().wireName() + "\"}");
            assertThat(KeyPolicyJson.read(json)).isEqualTo(preset);
        }
    }

    @Test
    void unrestrictedRoundTrips() {
        assertThat(KeyPolicyJson.write(KeyPolicy.UNRESTRICTED)).isEqualTo("{\"min_mode\":\"anonymized\"}");
        assertThat(KeyPolicyJson.read(KeyPolicyJson.write(KeyPolicy.UNRESTRICTED))).isEqualTo(KeyPolicy.UNRESTRICTED);
        assertThat(KeyPolicyJson.read("{}")).isEqualTo(KeyPolicy.UNRESTRICTED);
    }

    @Test
    void customPolicyIsWrittenCompactSortedAndRoundTrips() {
        String json = KeyPolicyJson.write(CUSTOM);

        assertThat(json).isEqualTo("{\"min_mode\":\"tee\",\"allowed_models\":[\"m-a\",\"m-b\"],"
                + "\"allowed_routes\":[\"route-a\",\"route-z\"],\"jurisdictions\":[\"CH\",\"EU\"],"
                + "\"budget_usd\":10.5,\"budget_period\":\"day\",\"rpm\":60,\"tpm\":100000}");
        assertThat(KeyPolicyJson.read(json)).isEqualTo(CUSTOM);
        assertThat(KeyPolicyJson.read(json.getBytes(StandardCharsets.UTF_8))).isEqualTo(CUSTOM);
    }

    @Test
    void presetWithEverythingRoundTrips() {
        KeyPolicy policy = new KeyPolicy("regulated", PrivacyMode.E2EE, Set.of("m"), Set.of(), Set.of("EU"), 0L,
                BudgetPeriod.MONTH, null, 5);
        assertThat(KeyPolicyJson.read(KeyPolicyJson.write(policy))).isEqualTo(policy);
        assertThat(KeyPolicyJson.write(policy)).contains("\"budget_usd\":0,\"budget_period\":\"month\"");
    }

    @Test
    void aNonDefaultPeriodWithoutBudgetStillRoundTrips() {
        KeyPolicy policy = new KeyPolicy(null, PrivacyMode.PRIVATE, Set.of(), Set.of(), Set.of(), null,
                BudgetPeriod.DAY, null, null);
        assertThat(KeyPolicyJson.read(KeyPolicyJson.write(policy))).isEqualTo(policy);
    }

    @Test
    void wholeDollarsAreWrittenWithoutAFraction() {
        KeyPolicy policy = new KeyPolicy(null, null, null, null, null, 10_000_000L, null, null, null);
        assertThat(KeyPolicyJson.write(policy)).contains("\"budget_usd\":10,");
        assertThat(KeyPolicyJson.usd(1)).isEqualTo("0.000001");
        assertThat(KeyPolicyJson.usd(250_000)).isEqualTo("0.25");
    }

    @Test
    void presetAppliesFirstThenExplicitFieldsOverrideWhateverTheOrder() {
        KeyPolicy internal = KeyPolicyJson.read("{\"preset\":\"internal\",\"rpm\":60}");
        assertThat(internal.preset()).isEqualTo("internal");
        assertThat(internal.minMode()).isEqualTo(PrivacyMode.PRIVATE);
        assertThat(internal.rpm()).isEqualTo(60);

        KeyPolicy overridden = KeyPolicyJson.read("{\"min_mode\":\"e2ee\",\"preset\":\"public\"}");
        assertThat(overridden.preset()).isEqualTo("public");
        assertThat(overridden.minMode()).isEqualTo(PrivacyMode.E2EE);
    }

    @Test
    void defaultPresetAppliesOnlyWhenTheObjectNamesNone() {
        byte[] plain = "{\"tpm\":10}".getBytes(StandardCharsets.UTF_8);
        assertThat(KeyPolicyJson.read(plain, "confidential").minMode()).isEqualTo(PrivacyMode.TEE);
        assertThat(KeyPolicyJson.read(plain, "confidential").preset()).isEqualTo("confidential");
        assertThat(KeyPolicyJson.read("{\"preset\":\"internal\"}".getBytes(StandardCharsets.UTF_8), "regulated").preset())
                .isEqualTo("internal");
        assertThat(KeyPolicyJson.read(plain, null)).isEqualTo(
                new KeyPolicy(null, null, null, null, null, null, null, null, 10));
    }

    @Test
    void nullValuesCountAsAbsent() {
        assertThat(KeyPolicyJson.read("{\"preset\":\"internal\",\"min_mode\":null,\"rpm\":null,\"allowed_models\":null}"))
                .isEqualTo(KeyPolicy.preset("internal"));
    }

    @Test
    void budgetIsConvertedToMicrosWithRounding() {
        assertThat(KeyPolicyJson.read("{\"budget_usd\":10}").budgetMicros()).isEqualTo(10_000_000L);
        assertThat(KeyPolicyJson.read("{\"budget_usd\":0.1}").budgetMicros()).isEqualTo(100_000L);
        assertThat(KeyPolicyJson.read("{\"budget_usd\":0.0000015}").budgetMicros()).isEqualTo(2L);
        assertThat(KeyPolicyJson.read("{\"budget_usd\":0.0000004}").budgetMicros()).isZero();
        assertThat(KeyPolicyJson.read("{\"budget_usd\":1e-900000000}").budgetMicros()).isZero();
        assertThat(KeyPolicyJson.read("{\"budget_usd\":2.5e3}").budgetMicros()).isEqualTo(2_500_000_000L);
        assertThat(KeyPolicyJson.read("{\"budget_usd\":0}").budgetMicros()).isZero();
    }

    @Test
    void unknownFieldIsNamedWithTheKnownOnes() {
        InvalidPolicyException e = invalid("{\"min_modes\":\"tee\"}");
        assertThat(e.field()).isEqualTo("policy.min_modes");
        assertThat(e.code()).isEqualTo("unknown_parameter");
        assertThat(e.getMessage()).startsWith("policy.min_modes: unknown field; known fields are preset, min_mode,")
                .contains("tpm").doesNotContain("\"tee\"");
        assertThat(e).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"preset\":1}                      | policy.preset            | a string",
            "{\"min_mode\":true}                 | policy.min_mode          | a string",
            "{\"allowed_models\":\"SECRETm\"}    | policy.allowed_models    | an array of strings",
            "{\"allowed_routes\":[\"a\",7]}      | policy.allowed_routes[1] | a string",
            "{\"jurisdictions\":{}}              | policy.jurisdictions     | an array of strings",
            "{\"budget_usd\":\"10\"}             | policy.budget_usd        | a number",
            "{\"budget_period\":[]}              | policy.budget_period     | a string",
            "{\"rpm\":\"60\"}                    | policy.rpm               | an integer",
            "{\"tpm\":1.5}                       | policy.tpm               | an integer",
    })
    void wrongTypeNamesTheFieldAndTheExpectedType(String json, String field, String expected) {
        InvalidPolicyException e = invalid(json);
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.code()).isEqualTo("invalid_type");
        assertThat(e.getMessage()).isEqualTo(field + ": expected " + expected + (field.equals("policy.budget_usd")
                ? " (US dollars)" : ""));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"preset\":\"SECRETtop\"}            | policy.preset            | unknown preset; expected one of public, internal, confidential, regulated",
            "{\"min_mode\":\"SECRETmode\"}         | policy.min_mode          | unknown privacy mode; expected one of anonymized, private, tee, e2ee",
            "{\"budget_period\":\"SECRETweek\"}    | policy.budget_period     | unknown budget period; expected day or month",
            "{\"budget_usd\":-0.01}                | policy.budget_usd        | must be at least 0",
            "{\"budget_usd\":1e13}                 | policy.budget_usd        | must be at most 1000000000000",
            "{\"budget_usd\":1e999999999}          | policy.budget_usd        | must be at most 1000000000000",
            "{\"rpm\":0}                           | policy.rpm               | must be at least 1",
            "{\"tpm\":-5}                          | policy.tpm               | must be at least 1",
            "{\"tpm\":99999999999}                 | policy.tpm               | must be between 1 and 2147483647",
            "{\"allowed_models\":[\"a\",\" \"]}    | policy.allowed_models[1] | must not be empty",
            "{\"rpm\":1,\"rpm\":2}                 | policy.rpm               | given more than once",
    })
    void badValuesNameTheFieldWithoutQuotingTheValue(String json, String field, String problem) {
        InvalidPolicyException e = invalid(json);
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.getMessage()).isEqualTo(field + ": " + problem);
        assertThat(e.problem()).isEqualTo(problem);
        assertThat(e.getMessage()).doesNotContain("SECRET");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "\"SECRET\"", "42", "null"})
    void nonObjectsAreRefused(String json) {
        InvalidPolicyException e = invalid(json);
        assertThat(e.field()).isEqualTo("policy");
        assertThat(e.getMessage()).isEqualTo("policy: expected a JSON object").doesNotContain("SECRET");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"rpm\":SECRET}", "{\"rpm\":1", "{\"rpm\":1} SECRET", "{\"SECRET\" 1}", ""})
    void malformedJsonIsRefusedWithoutQuotingIt(String json) {
        InvalidPolicyException e = invalid(json);
        assertThat(e.field()).isEqualTo("policy");
        assertThat(e.code()).isEqualTo("invalid_json");
        assertThat(e.getMessage()).startsWith("policy: ").doesNotContain("SECRET");
        assertThat(e.getCause()).isNull();
    }

    @Test
    void tooManyOrTooLongEntriesAreRefused() {
        StringBuilder many = new StringBuilder("{\"allowed_models\":[");
        for (int i = 0; i <= KeyPolicyJson.MAX_ENTRIES; i++) {
            many.append(i == 0 ? "" : ",").append("\"m").append(i).append('"');
        }
        assertThat(invalid(many.append("]}").toString()).field()).isEqualTo("policy.allowed_models");
        String longName = "x".repeat(KeyPolicyJson.MAX_ENTRY_LENGTH + 1);
        assertThat(invalid("{\"jurisdictions\":[\"" + longName + "\"]}").field()).isEqualTo("policy.jurisdictions[0]");
    }

    @Test
    void longUnknownFieldNamesAreShortenedInTheMessage() {
        InvalidPolicyException e = invalid("{\"" + "y".repeat(500) + "\":1}");
        assertThat(e.field()).hasSizeLessThan(100);
    }

    @Test
    void requestLogMinimisationRoundTripsAndIsLeftOutWhenDefault() {
        KeyPolicy policy = KeyPolicy.preset("internal").withRequestLog(RequestLogMode.DAILY_TOTALS, 7);
        String json = KeyPolicyJson.write(policy);

        assertThat(json).isEqualTo("{\"preset\":\"internal\",\"min_mode\":\"private\","
                + "\"request_log\":\"daily_totals\",\"request_log_retention_days\":7}");
        assertThat(KeyPolicyJson.read(json)).isEqualTo(policy);
        for (RequestLogMode mode : RequestLogMode.values()) {
            KeyPolicy one = KeyPolicy.UNRESTRICTED.withRequestLog(mode, null);
            assertThat(KeyPolicyJson.read(KeyPolicyJson.write(one))).isEqualTo(one);
        }
        assertThat(KeyPolicyJson.read("{\"request_log\":\"hour\"}").requestLogRetentionDays()).isNull();
        assertThat(KeyPolicyJson.read("{\"request_log_retention_days\":3}").requestLog()).isNull();
        assertThat(KeyPolicyJson.write(KeyPolicy.preset("public"))).doesNotContain("request_log");
    }

    @Test
    void badRequestLogSettingsAreNamed() {
        InvalidPolicyException mode = invalid("{\"request_log\":\"seconds\"}");
        assertThat(mode.field()).isEqualTo("policy.request_log");
        assertThat(mode.code()).isEqualTo("invalid_value");
        assertThat(mode.problem()).isEqualTo("unknown request log mode; expected one of full, minute, hour, daily_totals");
        assertThat(invalid("{\"request_log\":1}").code()).isEqualTo("invalid_type");
        InvalidPolicyException days = invalid("{\"request_log_retention_days\":0}");
        assertThat(days.field()).isEqualTo("policy.request_log_retention_days");
        assertThat(days.problem()).isEqualTo("must be at least 1");
        assertThat(invalid("{\"request_log_retention_days\":1.5}").code()).isEqualTo("invalid_type");
    }

    @Test
    void requestLogModesCutTimeToTheirUnit() {
        long t = java.time.Instant.parse("2026-03-04T05:06:07.891Z").toEpochMilli();
        assertThat(java.time.Instant.ofEpochMilli(RequestLogMode.FULL.truncate(t))).hasToString("2026-03-04T05:06:07Z");
        assertThat(java.time.Instant.ofEpochMilli(RequestLogMode.MINUTE.truncate(t))).hasToString("2026-03-04T05:06:00Z");
        assertThat(java.time.Instant.ofEpochMilli(RequestLogMode.HOUR.truncate(t))).hasToString("2026-03-04T05:00:00Z");
        assertThat(java.time.Instant.ofEpochMilli(RequestLogMode.DAILY_TOTALS.truncate(t))).hasToString("2026-03-04T00:00:00Z");
        assertThat(RequestLogMode.HOUR.truncate(java.time.Instant.ofEpochMilli(t))).hasToString("2026-03-04T05:00:00Z");
        assertThat(RequestLogMode.fromWireName("daily_totals")).isEqualTo(RequestLogMode.DAILY_TOTALS);
    }

    private static InvalidPolicyException invalid(String json) {
        InvalidPolicyException e = catchThrowableOfType(InvalidPolicyException.class, () -> KeyPolicyJson.read(json));
        assertThat(e).as("refused: %s", json).isNotNull();
        return e;
    }
}
