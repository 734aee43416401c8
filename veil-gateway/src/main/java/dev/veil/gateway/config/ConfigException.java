package dev.veil.gateway.config;

import java.util.List;

/**
 * The configuration could not be loaded: the YAML is malformed, or it (with its environment overrides) is invalid.
 * Carries every problem found, each naming the offending field by its path (e.g.
 * {@code models[0].routes[1].upstream: unknown upstream 'foo' (known: a, b)}) or the offending environment variable.
 * Messages never echo configuration values that could be secrets.
 */
public class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<String> problems;

    /**
     * @param problems one or more problems, one line each
     */
    public ConfigException(List<String> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * @param problem a single problem
     */
    public ConfigException(String problem) {
        this(List.of(problem));
    }

    /** Every problem found, in the order found; never empty. */
    public List<String> problems() {
        return problems;
    }

    private static String format(List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        StringBuilder sb = new StringBuilder("invalid configuration (")
                .append(problems.size())
                .append(problems.size() == 1 ? " problem):" : " problems):");
        for (String problem : problems) {
            sb.append("\n  ").append(problem);
        }
        return sb.toString();
    }
}
