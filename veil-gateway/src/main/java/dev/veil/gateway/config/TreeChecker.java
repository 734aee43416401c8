package dev.veil.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Checks the YAML tree against the {@link Schema} (unknown keys, inline secrets, types) and cleans it so it can be
 * bound: bad values are removed (their defaults then apply) and reported, list elements of the wrong type are replaced
 * by empty placeholders so later paths keep their indices. Then fills in defaults.
 */
final class TreeChecker {

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final Problems problems;

    TreeChecker(Problems problems) {
        this.problems = problems;
    }

    /** Checks and cleans a mapping in place. */
    void checkObject(ObjectNode node, Schema.Obj schema, String path) {
        List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        for (String key : keys) {
            String child = Problems.field(path, key);
            Schema.Field field = schema.field(key);
            if (field == null) {
                if (Schema.isSecretKey(schema, key)) {
                    problems.add(child, "secrets must not be written in the configuration; give them by environment "
                            + "reference (" + schema.secretHint() + ")");
                } else {
                    problems.add(child, "unknown field; known fields are " + schema.knownFields());
                }
                node.remove(key);
                continue;
            }
            JsonNode value = node.get(key);
            if (value.isNull()) {
                continue;
            }
            JsonNode cleaned = check(value, field.type(), child);
            if (cleaned == null) {
                node.remove(key);
                problems.suppress(child);
            } else {
                node.set(key, cleaned);
            }
        }
    }

    /** The cleaned node, or null when the value is unusable (reported). */
    private JsonNode check(JsonNode node, Schema.Type type, String path) {
        switch (type.kind()) {
            case OBJECT -> {
                if (!node.isObject()) {
                    return wrongType(node, type, path);
                }
                checkObject((ObjectNode) node, type.object(), path);
                return node;
            }
            case LIST -> {
                if (!node.isArray()) {
                    return wrongType(node, type, path);
                }
                ArrayNode array = (ArrayNode) node;
                for (int i = 0; i < array.size(); i++) {
                    String child = Problems.index(path, i);
                    JsonNode element = array.get(i);
                    JsonNode cleaned = element.isNull() ? wrongType(element, type.element(), child)
                            : check(element, type.element(), child);
                    if (cleaned == null) {
                        problems.suppress(child);
                        cleaned = type.element().kind() == Schema.Kind.OBJECT ? F.objectNode() : F.textNode("");
                    }
                    array.set(i, cleaned);
                }
                return array;
            }
            case MAP -> {
                if (!node.isObject()) {
                    return wrongType(node, type, path);
                }
                ObjectNode map = (ObjectNode) node;
                List<String> keys = new ArrayList<>();
                map.fieldNames().forEachRemaining(keys::add);
                for (String key : keys) {
                    String child = Problems.field(path, key);
                    JsonNode cleaned = check(map.get(key), Schema.Type.STRING, child);
                    if (cleaned == null) {
                        problems.suppress(child);
                        map.remove(key);
                    } else {
                        map.set(key, cleaned);
                    }
                }
                return map;
            }
            case STRING -> {
                if (node.isTextual()) {
                    return node;
                }
                if (node.isNumber() || node.isBoolean()) {
                    return F.textNode(node.asText());
                }
                return wrongType(node, type, path);
            }
            case INT -> {
                if (node.isIntegralNumber() && node.canConvertToInt()) {
                    return F.numberNode(node.intValue());
                }
                if (node.isIntegralNumber()) {
                    problems.add(path, "expected an integer between " + Integer.MIN_VALUE + " and "
                            + Integer.MAX_VALUE + ", got a larger number");
                    return null;
                }
                return wrongType(node, type, path);
            }
            case LONG -> {
                if (node.isIntegralNumber() && node.canConvertToLong()) {
                    return F.numberNode(node.longValue());
                }
                if (node.isIntegralNumber()) {
                    problems.add(path, "expected a 64-bit integer, got a larger number");
                    return null;
                }
                return wrongType(node, type, path);
            }
            case DOUBLE -> {
                if (node.isNumber()) {
                    return F.numberNode(node.doubleValue());
                }
                return wrongType(node, type, path);
            }
            case BOOLEAN -> {
                if (node.isBoolean()) {
                    return node;
                }
                return wrongType(node, type, path);
            }
            default -> throw new IllegalStateException("unhandled kind " + type.kind());
        }
    }

    private JsonNode wrongType(JsonNode node, Schema.Type type, String path) {
        problems.add(path, "expected " + type.describe() + ", got " + describe(node));
        return null;
    }

    /** Describes what a node is without echoing its content. */
    static String describe(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return "nothing (null)";
        }
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a list";
        }
        if (node.isBoolean()) {
            return "a boolean";
        }
        if (node.isIntegralNumber()) {
            return "an integer";
        }
        if (node.isNumber()) {
            return "a decimal number";
        }
        if (node.isTextual()) {
            return "a string";
        }
        return "a " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Fills defaults for missing or null keys, recursively; and the route defaults that depend on their model. */
    static void fillDefaults(ObjectNode node, Schema.Obj schema) {
        for (Map.Entry<String, Schema.Field> e : schema.fields().entrySet()) {
            Schema.Field field = e.getValue();
            JsonNode value = node.get(field.name());
            if ((value == null || value.isNull()) && field.defaultValue() != null) {
                value = field.defaultValue().deepCopy();
                node.set(field.name(), value);
            }
            if (value == null) {
                continue;
            }
            if (field.type().kind() == Schema.Kind.OBJECT && value.isObject()) {
                fillDefaults((ObjectNode) value, field.type().object());
            } else if (field.type().kind() == Schema.Kind.LIST
                    && field.type().element().kind() == Schema.Kind.OBJECT && value.isArray()) {
                for (JsonNode element : value) {
                    if (element.isObject()) {
                        fillDefaults((ObjectNode) element, field.type().element().object());
                    }
                }
            }
        }
        if (schema == Schema.MODEL) {
            JsonNode id = node.get("id");
            for (JsonNode route : node.path("routes")) {
                if (route instanceof ObjectNode r) {
                    if (isAbsent(r.get("name")) && !isAbsent(r.get("upstream"))) {
                        r.set("name", r.get("upstream"));
                    }
                    if (isAbsent(r.get("model")) && !isAbsent(id)) {
                        r.set("model", id);
                    }
                }
            }
        }
    }

    private static boolean isAbsent(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode();
    }
}
