package dev.veil.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The JSON form of a {@link KeyPolicy}, used both to store a key's policy and to take one from an operator (admin API
 * bodies). Jackson's streaming API only.
 *
 * <pre>{@code
 * {"preset": "internal", "min_mode": "private", "allowed_models": ["m1"], "allowed_routes": ["r1"],
 *  "jurisdictions": ["CH", "EU"], "budget_usd": 10.5, "budget_period": "month", "rpm": 60, "tpm": 100000,
 *  "request_log": "hour", "request_log_retention_days": 7, "max_concurrent": 4}
 * }</pre>
 *
 * <p>Writing is compact and stable: arrays are sorted, absent values ({@code null}, empty arrays) are left out, and
 * {@code budget_period} is written only when there is a budget or the period is not the default ({@code month}), so
 * that every policy reads back equal to itself.
 *
 * <p>Reading validates, because it takes operator input: {@code preset} applies first, whatever its position, then
 * every other field present overrides it; a {@code null} value counts as absent. Errors are
 * {@link InvalidPolicyException}s naming the field path ({@code policy.rpm}, {@code policy.allowed_models[2]}); their
 * messages name fields and expected values, never the input's values.
 */
public final class KeyPolicyJson {

    /** The root of every field path in error messages. */
    public static final String ROOT = "policy";

    /** The fields a policy object may have, in the order they are written. */
    public static final List<String> FIELDS = List.of("preset", "min_mode", "allowed_models", "allowed_routes",
            "jurisdictions", "budget_usd", "budget_period", "rpm", "tpm", "request_log", "request_log_retention_days",
            "max_concurrent");

    /** Longest accepted model id, route name or jurisdiction. */
    public static final int MAX_ENTRY_LENGTH = 256;
    /** Most entries accepted in one list. */
    public static final int MAX_ENTRIES = 1_000;

    private static final int MAX_NAME_IN_MESSAGE = 64;
    /** Largest accepted budget in US dollars (fits in micro-dollars as a long). */
    private static final BigDecimal MAX_BUDGET_USD = BigDecimal.valueOf(1_000_000_000_000L);
    private static final BigDecimal HALF_MICRO_USD = new BigDecimal("0.0000005");
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(16).maxNumberLength(64).build())
            .build();

    private KeyPolicyJson() {
    }

    /**
     * Policy input Veil refuses: names the field at fault ({@link #field()}, e.g. {@code policy.rpm}) and a stable
     * {@link #code()}; the message starts with the field path and never quotes an input value.
     */
    public static final class InvalidPolicyException extends IllegalArgumentException {
        /** The field was not one of {@link #FIELDS}. */
        public static final String UNKNOWN_FIELD = "unknown_parameter";
        /** The value had the wrong JSON type. */
        public static final String INVALID_TYPE = "invalid_type";
        /** The value had the right type but is not allowed. */
        public static final String INVALID_VALUE = "invalid_value";
        /** The input is not well-formed JSON. */
        public static final String INVALID_JSON = "invalid_json";

        private final String field;
        private final String code;

        InvalidPolicyException(String field, String problem, String code) {
            super(field + ": " + problem, null);
            this.field = field;
            this.code = code;
        }

        /** The path of the field at fault, e.g. {@code policy.min_mode}; the root path for a malformed document. */
        public String field() {
            return field;
        }

        /** {@code unknown_parameter}, {@code invalid_type}, {@code invalid_value} or {@code invalid_json}. */
        public String code() {
            return code;
        }

        /** The problem without the leading field path, e.g. {@code must be at least 1}. */
        public String problem() {
            return getMessage().substring(field.length() + 2);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // control flow for bad input, not a fault
        }
    }

    // ------------------------------------------------------------------------------------------------ writing

    /** The policy as compact JSON, e.g. {@code {"preset":"internal","min_mode":"private","rpm":60}}. */
    public static String write(KeyPolicy policy) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            write(g, policy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Writes the policy as one JSON object (a value: after a field name, in an array, or at the root). */
    public static void write(JsonGenerator g, KeyPolicy policy) throws IOException {
        g.writeStartObject();
        if (policy.preset() != null) {
            g.writeStringField("preset", policy.preset());
        }
        g.writeStringField("min_mode", policy.minMode().wireName());
        writeSorted(g, "allowed_models", policy.allowedModels());
        writeSorted(g, "allowed_routes", policy.allowedRoutes());
        writeSorted(g, "jurisdictions", policy.jurisdictions());
        if (policy.budgetMicros() != null) {
            g.writeFieldName("budget_usd");
            g.writeNumber(usd(policy.budgetMicros()));
        }
        if (policy.budgetMicros() != null || policy.budgetPeriod() != KeyPolicy.BudgetPeriod.MONTH) {
            g.writeStringField("budget_period", policy.budgetPeriod().wireName());
        }
        if (policy.rpm() != null) {
            g.writeNumberField("rpm", policy.rpm());
        }
        if (policy.tpm() != null) {
            g.writeNumberField("tpm", policy.tpm());
        }
        if (policy.requestLog() != null) {
            g.writeStringField("request_log", policy.requestLog().wireName());
        }
        if (policy.requestLogRetentionDays() != null) {
            g.writeNumberField("request_log_retention_days", policy.requestLogRetentionDays());
        }
        if (policy.maxConcurrent() != null) {
            g.writeNumberField("max_concurrent", policy.maxConcurrent());
        }
        g.writeEndObject();
    }

    /** Micro-dollars as a plain decimal dollar amount without trailing zeros, e.g. {@code 10}, {@code 0.25}. */
    public static String usd(long micros) {
        return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
    }

    private static void writeSorted(JsonGenerator g, String field, Set<String> values) throws IOException {
        if (values.isEmpty()) {
            return;
        }
        g.writeArrayFieldStart(field);
        for (String value : new TreeSet<>(values)) {
            g.writeString(value);
        }
        g.writeEndArray();
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Reads and validates a policy object.
     *
     * @throws InvalidPolicyException naming the field at fault
     */
    public static KeyPolicy read(String json) {
        return read(json.getBytes(StandardCharsets.UTF_8), null);
    }

    /**
     * Reads and validates a policy object (UTF-8).
     *
     * @throws InvalidPolicyException naming the field at fault
     */
    public static KeyPolicy read(byte[] json) {
        return read(json, null);
    }

    /**
     * Reads and validates a policy object, starting from {@code defaultPreset} when the object names no preset of
     * its own (the admin API's top-level {@code preset} shorthand).
     *
     * @param defaultPreset a preset name, or {@code null} for none
     * @throws InvalidPolicyException naming the field at fault
     */
    public static KeyPolicy read(byte[] json, String defaultPreset) {
        try (JsonParser p = JSON.createParser(json)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new InvalidPolicyException(ROOT, "empty; expected a JSON object", InvalidPolicyException.INVALID_JSON);
            }
            if (first != JsonToken.START_OBJECT) {
                throw new InvalidPolicyException(ROOT, "expected a JSON object", InvalidPolicyException.INVALID_TYPE);
            }
            KeyPolicy policy = readObject(p, defaultPreset);
            if (p.nextToken() != null) {
                throw new InvalidPolicyException(ROOT, "unexpected content after the policy object",
                        InvalidPolicyException.INVALID_JSON);
            }
            return policy;
        } catch (JsonParseException e) {
            // Jackson's own message quotes the input; keep only where the problem is.
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new InvalidPolicyException(ROOT, "not valid JSON" + where, InvalidPolicyException.INVALID_JSON);
        } catch (IOException e) {
            throw new InvalidPolicyException(ROOT, "not valid JSON", InvalidPolicyException.INVALID_JSON);
        }
    }

    /** The fields of one object; the parser is on its START_OBJECT and is left on its END_OBJECT. */
    private static KeyPolicy readObject(JsonParser p, String defaultPreset) throws IOException {
        String preset = defaultPreset;
        PrivacyMode minMode = null;
        Set<String> models = null;
        Set<String> routes = null;
        Set<String> jurisdictions = null;
        Long budgetMicros = null;
        KeyPolicy.BudgetPeriod period = null;
        Integer rpm = null;
        Integer tpm = null;
        RequestLogMode requestLog = null;
        Integer requestLogRetentionDays = null;
        Integer maxConcurrent = null;
        Set<String> seen = new HashSet<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (!FIELDS.contains(name)) {
                throw new InvalidPolicyException(path(name), "unknown field; known fields are "
                        + String.join(", ", FIELDS), InvalidPolicyException.UNKNOWN_FIELD);
            }
            String path = path(name);
            if (!seen.add(name)) {
                throw new InvalidPolicyException(path, "given more than once", InvalidPolicyException.INVALID_JSON);
            }
            if (value == JsonToken.VALUE_NULL) {
                continue; // null counts as absent
            }
            switch (name) {
                case "preset" -> {
                    preset = string(p, value, path);
                    if (!KeyPolicy.PRESETS.contains(preset)) {
                        throw invalidValue(path, "unknown preset; expected one of " + String.join(", ", KeyPolicy.PRESETS));
                    }
                }
                case "min_mode" -> minMode = mode(string(p, value, path), path);
                case "allowed_models" -> models = strings(p, value, path);
                case "allowed_routes" -> routes = strings(p, value, path);
                case "jurisdictions" -> jurisdictions = strings(p, value, path);
                case "budget_usd" -> budgetMicros = micros(p, value, path);
                case "budget_period" -> period = period(string(p, value, path), path);
                case "rpm" -> rpm = positiveInt(p, value, path);
                case "tpm" -> tpm = positiveInt(p, value, path);
                case "request_log" -> requestLog = requestLog(string(p, value, path), path);
                case "request_log_retention_days" -> requestLogRetentionDays = positiveInt(p, value, path);
                case "max_concurrent" -> maxConcurrent = positiveInt(p, value, path);
                default -> throw new IllegalStateException("field list and switch disagree");
            }
        }
        if (p.currentToken() != JsonToken.END_OBJECT) {
            throw new InvalidPolicyException(ROOT, "not valid JSON", InvalidPolicyException.INVALID_JSON);
        }
        if (preset != null && !KeyPolicy.PRESETS.contains(preset)) {
            throw invalidValue(path("preset"), "unknown preset; expected one of " + String.join(", ", KeyPolicy.PRESETS));
        }
        KeyPolicy base = preset == null ? KeyPolicy.UNRESTRICTED : KeyPolicy.preset(preset);
        return new KeyPolicy(preset,
                minMode != null ? minMode : base.minMode(),
                models != null ? models : base.allowedModels(),
                routes != null ? routes : base.allowedRoutes(),
                jurisdictions != null ? jurisdictions : base.jurisdictions(),
                budgetMicros != null ? budgetMicros : base.budgetMicros(),
                period != null ? period : base.budgetPeriod(),
                rpm != null ? rpm : base.rpm(),
                tpm != null ? tpm : base.tpm(),
                requestLog != null ? requestLog : base.requestLog(),
                requestLogRetentionDays != null ? requestLogRetentionDays : base.requestLogRetentionDays(),
                maxConcurrent != null ? maxConcurrent : base.maxConcurrent());
    }

    private static String path(String field) {
        String shown = field.length() > MAX_NAME_IN_MESSAGE ? field.substring(0, MAX_NAME_IN_MESSAGE) + "…" : field;
        return ROOT + "." + shown;
    }

    private static InvalidPolicyException invalidType(String path, String expected) {
        return new InvalidPolicyException(path, "expected " + expected, InvalidPolicyException.INVALID_TYPE);
    }

    private static InvalidPolicyException invalidValue(String path, String problem) {
        return new InvalidPolicyException(path, problem, InvalidPolicyException.INVALID_VALUE);
    }

    private static String string(JsonParser p, JsonToken value, String path) throws IOException {
        if (value != JsonToken.VALUE_STRING) {
            throw invalidType(path, "a string");
        }
        return p.getText();
    }

    private static PrivacyMode mode(String value, String path) {
        for (PrivacyMode mode : PrivacyMode.values()) {
            if (mode.wireName().equals(value)) {
                return mode;
            }
        }
        throw invalidValue(path, "unknown privacy mode; expected one of anonymized, private, tee, e2ee");
    }

    private static RequestLogMode requestLog(String value, String path) {
        for (RequestLogMode mode : RequestLogMode.values()) {
            if (mode.wireName().equals(value)) {
                return mode;
            }
        }
        throw invalidValue(path, "unknown request log mode; expected one of " + RequestLogMode.WIRE_NAMES);
    }

    private static KeyPolicy.BudgetPeriod period(String value, String path) {
        for (KeyPolicy.BudgetPeriod period : KeyPolicy.BudgetPeriod.values()) {
            if (period.wireName().equals(value)) {
                return period;
            }
        }
        throw invalidValue(path, "unknown budget period; expected day or month");
    }

    private static Set<String> strings(JsonParser p, JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            throw invalidType(path, "an array of strings");
        }
        Set<String> values = new LinkedHashSet<>();
        int index = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), index++) {
            String itemPath = path + "[" + index + "]";
            if (index >= MAX_ENTRIES) {
                throw invalidValue(path, "must have at most " + MAX_ENTRIES + " entries");
            }
            if (t != JsonToken.VALUE_STRING) {
                throw invalidType(itemPath, "a string");
            }
            String item = p.getText();
            String problem = Labels.problem(item, MAX_ENTRY_LENGTH);
            if (problem != null) {
                throw invalidValue(itemPath, problem);
            }
            values.add(item);
        }
        return values;
    }

    private static Long micros(JsonParser p, JsonToken value, String path) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
            throw invalidType(path, "a number (US dollars)");
        }
        BigDecimal usd;
        try {
            usd = p.getDecimalValue();
        } catch (NumberFormatException e) {
            throw invalidValue(path, "is not a usable number");
        }
        if (usd.signum() < 0) {
            throw invalidValue(path, "must be at least 0");
        }
        // Range checks before any rescaling: compareTo is cheap whatever the exponent, setScale is not.
        if (usd.compareTo(MAX_BUDGET_USD) > 0) {
            throw invalidValue(path, "must be at most " + MAX_BUDGET_USD.toPlainString());
        }
        if (usd.compareTo(HALF_MICRO_USD) < 0) {
            return 0L;
        }
        return usd.movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    private static Integer positiveInt(JsonParser p, JsonToken value, String path) throws IOException {
        if (value != JsonToken.VALUE_NUMBER_INT) {
            throw invalidType(path, "an integer");
        }
        if (p.getNumberType() != JsonParser.NumberType.INT) {
            throw invalidValue(path, "must be between 1 and " + Integer.MAX_VALUE);
        }
        int n = p.getIntValue();
        if (n < 1) {
            throw invalidValue(path, "must be at least 1");
        }
        return n;
    }
}
