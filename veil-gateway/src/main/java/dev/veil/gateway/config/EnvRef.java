package dev.veil.gateway.config;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Resolves references to environment variables ({@code *_env} fields). */
final class EnvRef {

    /** What an environment variable name may look like. */
    static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private EnvRef() {
    }

    /** The value of variable {@code name} in {@code env}; empty when no name is given or the variable is unset/blank. */
    static Optional<String> resolve(String name, Map<String, String> env) {
        if (name == null || name.isBlank() || env == null) {
            return Optional.empty();
        }
        String value = env.get(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(value);
    }

    /** True when {@code name} names a variable that is set (and not blank) in {@code env}. */
    static boolean isSet(String name, Map<String, String> env) {
        return resolve(name, env).isPresent();
    }
}
