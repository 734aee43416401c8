package dev.veil.client.proxy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.veil.protocol.attestation.AttestationPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads an attestation policy file (YAML or JSON):
 *
 * <pre>
 * allowed_formats: [sev-snp, tdx]        # empty or absent = every hardware format; may list simulated
 * allowed_measurements: [&lt;hex&gt;, ...]     # empty or absent = any measurement
 * allow_simulated: false                 # true accepts simulated evidence (development only: proves nothing)
 * </pre>
 *
 * Unknown fields, unknown formats, non-hex measurements and wrong types are refused with a message naming them.
 */
public final class PolicyFile {

    /** The fields a policy file may have. */
    public static final List<String> FIELDS = List.of("allowed_formats", "allowed_measurements", "allow_simulated");
    /** The evidence formats a policy may name. */
    public static final List<String> FORMATS = List.of("sev-snp", "tdx", "simulated");

    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]+");

    /** A policy file that cannot be used; the message says what is wrong. */
    public static final class InvalidPolicyException extends Exception {
        public InvalidPolicyException(String message) {
            super(message);
        }
    }

    private PolicyFile() {
    }

    /** Reads and checks {@code file}. */
    public static AttestationPolicy load(Path file) throws InvalidPolicyException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new InvalidPolicyException("cannot read the policy file " + file + " (" + e.getClass().getSimpleName()
                    + ")");
        }
        return parse(text);
    }

    /** Parses and checks policy text, YAML or JSON. */
    public static AttestationPolicy parse(String text) throws InvalidPolicyException {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new InvalidPolicyException("the policy file is empty; expected fields: " + String.join(", ", FIELDS));
        }
        ObjectMapper mapper = trimmed.startsWith("{") ? new ObjectMapper() : new ObjectMapper(new YAMLFactory());
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = mapper.readTree(trimmed);
        } catch (IOException e) {
            throw new InvalidPolicyException("the policy file is not valid YAML or JSON");
        }
        if (root == null || !root.isObject()) {
            throw new InvalidPolicyException("the policy file must be a mapping with the fields " + String.join(", ", FIELDS));
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!FIELDS.contains(name)) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            throw new InvalidPolicyException("unknown field" + (unknown.size() > 1 ? "s" : "") + " in the policy file: "
                    + String.join(", ", unknown) + " (allowed: " + String.join(", ", FIELDS) + ")");
        }
        Set<String> formats = strings(root, "allowed_formats");
        for (String format : formats) {
            if (!FORMATS.contains(format)) {
                throw new InvalidPolicyException("allowed_formats: unknown evidence format '" + format + "' (known: "
                        + String.join(", ", FORMATS) + ")");
            }
        }
        Set<String> measurements = new LinkedHashSet<>();
        for (String m : strings(root, "allowed_measurements")) {
            if (!HEX.matcher(m).matches() || m.length() % 2 != 0) {
                throw new InvalidPolicyException("allowed_measurements: '" + m + "' is not a hex string");
            }
            measurements.add(m.toLowerCase(Locale.ROOT));
        }
        boolean allowSimulated = false;
        JsonNode simulated = root.get("allow_simulated");
        if (simulated != null && !simulated.isNull()) {
            if (!simulated.isBoolean()) {
                throw new InvalidPolicyException("allow_simulated must be true or false");
            }
            allowSimulated = simulated.booleanValue();
        }
        return new AttestationPolicy(formats, measurements, allowSimulated);
    }

    /**
     * {@code policy} with simulated evidence allowed (the {@code --allow-simulated} switch): sets
     * {@code allowSimulated}, and adds {@code simulated} to a non-empty format list so it is not refused there.
     */
    public static AttestationPolicy allowingSimulated(AttestationPolicy policy) {
        Set<String> formats = new LinkedHashSet<>(policy.allowedFormats());
        if (!formats.isEmpty()) {
            formats.add("simulated");
        }
        return new AttestationPolicy(formats, policy.allowedMeasurements(), true);
    }

    private static Set<String> strings(JsonNode root, String field) throws InvalidPolicyException {
        JsonNode node = root.get(field);
        Set<String> out = new LinkedHashSet<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new InvalidPolicyException(field + " must be a list of strings");
        }
        for (JsonNode item : node) {
            if (!item.isTextual()) {
                throw new InvalidPolicyException(field + " must be a list of strings (quote values such as \"0123\")");
            }
            out.add(item.asText().trim());
        }
        return out;
    }
}
