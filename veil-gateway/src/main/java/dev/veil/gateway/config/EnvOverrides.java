package dev.veil.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Applies {@code VEIL_<PATH>} environment overrides to the YAML tree before it is checked and bound. The path after
 * {@code VEIL_} is split on {@code __}; each segment matches a snake_case key case-insensitively, or is a list index.
 * Variables starting with {@code VEIL_} without a {@code __} (e.g. {@code VEIL_ADMIN_TOKEN}) are not overrides.
 */
final class EnvOverrides {

    static final String PREFIX = "VEIL_";
    private static final String SEPARATOR = "__";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final ObjectMapper yaml;
    private final Problems problems;

    EnvOverrides(ObjectMapper yaml, Problems problems) {
        this.yaml = yaml;
        this.problems = problems;
    }

    /** True when an environment variable name is a configuration override. */
    static boolean isOverride(String name) {
        return name.startsWith(PREFIX) && name.substring(PREFIX.length()).contains(SEPARATOR);
    }

    /** Applies every override in {@code env} to {@code root}, in a stable order (list indices numerically). */
    void apply(ObjectNode root, Map<String, String> env) {
        List<String> names = new ArrayList<>();
        for (String name : env.keySet()) {
            if (name != null && isOverride(name)) {
                names.add(name);
            }
        }
        names.sort(EnvOverrides::compareNames);
        for (String name : names) {
            apply(root, name, env.get(name));
        }
    }

    private static String[] segments(String name) {
        return name.substring(PREFIX.length()).split(SEPARATOR, -1);
    }

    /** Orders by segment; numeric segments numerically, so index 2 is created before index 10. */
    private static int compareNames(String a, String b) {
        String[] sa = segments(a);
        String[] sb = segments(b);
        for (int i = 0; i < Math.min(sa.length, sb.length); i++) {
            int c;
            if (isIndex(sa[i]) && isIndex(sb[i])) {
                c = Long.compare(Long.parseLong(sa[i]), Long.parseLong(sb[i]));
            } else {
                c = sa[i].compareTo(sb[i]);
            }
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(sa.length, sb.length);
    }

    private static boolean isIndex(String segment) {
        return !segment.isEmpty() && segment.length() <= 9 && segment.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    }

    private void fail(String variable, String message) {
        problems.addLine(variable + ": " + message);
    }

    private void apply(ObjectNode root, String variable, String raw) {
        String[] segs = segments(variable);
        for (String seg : segs) {
            if (seg.isEmpty()) {
                fail(variable, "malformed override name (empty path segment); use VEIL_SECTION__FIELD, e.g. "
                        + "VEIL_SERVER__PORT");
                return;
            }
        }
        JsonNode current = root;
        Schema.Type type = Schema.Type.object(Schema.ROOT);
        String path = "";
        for (int i = 0; i < segs.length; i++) {
            String seg = segs[i];
            boolean last = i == segs.length - 1;
            switch (type.kind()) {
                case OBJECT -> {
                    ObjectNode obj = (ObjectNode) current;
                    String key = seg.toLowerCase(Locale.ROOT);
                    Schema.Field field = type.object().field(key);
                    String child = Problems.field(path, key);
                    if (field == null) {
                        if (Schema.isSecretKey(type.object(), key)) {
                            fail(variable, Problems.display(child) + " is not a setting; secrets must be given by "
                                    + "environment reference (" + type.object().secretHint() + "), not as values");
                        } else {
                            fail(variable, "no setting '" + key + "' in " + Problems.display(path)
                                    + "; known fields are " + type.object().knownFields());
                        }
                        return;
                    }
                    if (last) {
                        JsonNode value = value(field.type(), raw, variable, child);
                        if (value == null) {
                            return;
                        }
                        obj.set(key, value);
                        problems.setByEnv(child, variable);
                        return;
                    }
                    if (field.type().isScalar()) {
                        fail(variable, Problems.display(child) + " is a single value; nothing is nested under '"
                                + segs[i + 1].toLowerCase(Locale.ROOT) + "'");
                        return;
                    }
                    JsonNode next = container(obj.get(key), field.type(), variable, child);
                    if (next == null) {
                        return;
                    }
                    obj.set(key, next);
                    current = next;
                    type = field.type();
                    path = child;
                }
                case LIST -> {
                    ArrayNode array = (ArrayNode) current;
                    if (!isIndex(seg)) {
                        fail(variable, Problems.display(path) + " is a list; expected an element index, not '"
                                + seg.toLowerCase(Locale.ROOT) + "'");
                        return;
                    }
                    int index = Integer.parseInt(seg);
                    String child = Problems.index(path, index);
                    if (index > array.size()) {
                        fail(variable, "index " + index + " is out of range: " + Problems.display(path) + " has "
                                + array.size() + " element(s); use index " + array.size() + " to add one");
                        return;
                    }
                    Schema.Type elementType = type.element();
                    if (last) {
                        JsonNode value = value(elementType, raw, variable, child);
                        if (value == null) {
                            return;
                        }
                        if (index == array.size()) {
                            array.add(value);
                        } else {
                            array.set(index, value);
                        }
                        problems.setByEnv(child, variable);
                        return;
                    }
                    if (elementType.isScalar()) {
                        fail(variable, Problems.display(child) + " is a single value; nothing is nested under '"
                                + segs[i + 1].toLowerCase(Locale.ROOT) + "'");
                        return;
                    }
                    JsonNode existing = index < array.size() ? array.get(index) : null;
                    JsonNode next = container(existing, elementType, variable, child);
                    if (next == null) {
                        return;
                    }
                    if (index == array.size()) {
                        array.add(next);
                    } else {
                        array.set(index, next);
                    }
                    current = next;
                    type = elementType;
                    path = child;
                }
                case MAP -> {
                    ObjectNode map = (ObjectNode) current;
                    // Environment variable names cannot hold '-', so X_TITLE means the header x-title.
                    String key = seg.toLowerCase(Locale.ROOT).replace('_', '-');
                    if (!last) {
                        fail(variable, Problems.display(path) + " maps names to strings; nothing is nested under '"
                                + key + "'");
                        return;
                    }
                    String existingKey = key;
                    for (Iterator<String> it = map.fieldNames(); it.hasNext(); ) {
                        String k = it.next();
                        if (k.equalsIgnoreCase(key)) {
                            existingKey = k;
                        }
                    }
                    if (raw == null || raw.isEmpty()) {
                        map.remove(existingKey);
                    } else {
                        map.set(existingKey, F.textNode(raw));
                    }
                    problems.setByEnv(Problems.field(path, existingKey), variable);
                    return;
                }
                default -> {
                    fail(variable, Problems.display(path) + " is a single value; nothing is nested under '"
                            + seg.toLowerCase(Locale.ROOT) + "'");
                    return;
                }
            }
        }
    }

    /** The existing node to descend into, or a new empty one; null (reported) when the YAML holds something else. */
    private JsonNode container(JsonNode existing, Schema.Type type, String variable, String path) {
        boolean wantArray = type.kind() == Schema.Kind.LIST;
        if (existing == null || existing.isNull() || existing.isMissingNode()) {
            return wantArray ? F.arrayNode() : F.objectNode();
        }
        if (wantArray ? existing.isArray() : existing.isObject()) {
            return existing;
        }
        fail(variable, "cannot apply: " + Problems.display(path) + " in the YAML is not " + type.describe());
        return null;
    }

    /** The node for an override value of the given type; null (reported) when it cannot be one. */
    private JsonNode value(Schema.Type type, String raw, String variable, String path) {
        if (raw == null || raw.isEmpty()) {
            return NullNode.getInstance();
        }
        switch (type.kind()) {
            case STRING -> {
                return F.textNode(raw);
            }
            case INT, LONG, DOUBLE, BOOLEAN -> {
                JsonNode parsed = parseYaml(raw);
                return parsed != null && parsed.isValueNode() ? parsed : F.textNode(raw);
            }
            case LIST -> {
                String trimmed = raw.trim();
                if (type.element().kind() == Schema.Kind.STRING && !trimmed.startsWith("[")) {
                    ArrayNode array = F.arrayNode();
                    for (String part : trimmed.split(",")) {
                        if (!part.isBlank()) {
                            array.add(part.trim());
                        }
                    }
                    return array;
                }
                JsonNode parsed = parseYaml(raw);
                if (parsed != null && parsed.isArray()) {
                    return parsed;
                }
                fail(variable, Problems.display(path) + " is a list; give a YAML flow sequence such as [a, b]"
                        + (type.element().kind() == Schema.Kind.STRING ? " or comma-separated values" : "")
                        + ", or set single elements with " + variable + "__0");
                return null;
            }
            default -> {
                JsonNode parsed = parseYaml(raw);
                if (parsed != null && parsed.isObject()) {
                    return parsed;
                }
                fail(variable, Problems.display(path) + " is a mapping; give a YAML flow mapping such as "
                        + "{key: value}, or set single fields with " + variable + "__<FIELD>");
                return null;
            }
        }
    }

    private JsonNode parseYaml(String raw) {
        try {
            JsonNode node = yaml.readTree(raw);
            return node == null || node.isMissingNode() ? null : node;
        } catch (Exception e) {
            return null;
        }
    }
}
