package dev.veil.gateway.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Collects configuration problems, each prefixed with its path. Knows which paths were set by environment overrides
 * (so a problem there names the variable) and which paths are already reported as broken (so follow-on problems
 * under them are not reported twice).
 */
final class Problems {

    private final List<String> problems = new ArrayList<>();
    private final Map<String, String> setByEnv = new HashMap<>();
    private final Set<String> suppressed = new HashSet<>();

    /** Joins a field name onto a path. */
    static String field(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    /** Joins a list index onto a path. */
    static String index(String path, int index) {
        return path + "[" + index + "]";
    }

    /** The path for messages: the top level has an empty path. */
    static String display(String path) {
        return path.isEmpty() ? "(top level)" : path;
    }

    static boolean isUnder(String path, String prefix) {
        return path.equals(prefix) || path.startsWith(prefix + ".") || path.startsWith(prefix + "[");
    }

    /** Records that {@code path} was set by environment variable {@code variable}. */
    void setByEnv(String path, String variable) {
        setByEnv.put(path, variable);
    }

    /** Marks a path as already reported broken; problems at or under it are dropped. */
    void suppress(String path) {
        suppressed.add(path);
    }

    /** Adds a problem at a path. */
    void add(String path, String message) {
        for (String s : suppressed) {
            if (isUnder(path, s)) {
                return;
            }
        }
        String line = display(path) + ": " + message;
        String variable = variableFor(path);
        if (variable != null) {
            line += " (set by " + variable + ")";
        }
        problems.add(line);
    }

    /** Adds a problem that already names its subject (e.g. an environment variable). */
    void addLine(String line) {
        problems.add(line);
    }

    private String variableFor(String path) {
        String best = null;
        int bestLength = -1;
        for (Map.Entry<String, String> e : setByEnv.entrySet()) {
            if (isUnder(path, e.getKey()) && e.getKey().length() > bestLength) {
                best = e.getValue();
                bestLength = e.getKey().length();
            }
        }
        return best;
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    List<String> list() {
        return List.copyOf(problems);
    }

    void throwIfAny() {
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
    }
}
