package dev.veil.gateway.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads {@code veil.yaml}: parses the YAML, applies {@code VEIL_<PATH>} environment overrides, checks keys and types,
 * fills defaults, binds {@link VeilConfig} and validates it. Every problem is collected and reported at once in a
 * {@link ConfigException}, each naming its path (e.g. {@code models[0].routes[1].upstream}) or the environment
 * variable that caused it.
 *
 * <h2>Environment overrides</h2>
 * An environment variable {@code VEIL_<PATH>} whose path (after {@code VEIL_}) contains {@code __} overrides one
 * value: path segments are separated by {@code __}, matched case-insensitively to the snake_case keys, and list
 * elements are addressed by index ({@code VEIL_UPSTREAMS__0__BASE_URL}). Values are parsed as YAML scalars.
 * Overrides may create missing mappings, and append to a list at index = its size. Variables starting with
 * {@code VEIL_} without {@code __} ({@code VEIL_ADMIN_TOKEN}, {@code VEIL_LOG_LEVEL}) are not overrides. An override
 * naming a setting that does not exist is an error naming the variable.
 *
 * <h2>Secrets</h2>
 * Secrets are only given by environment reference ({@code api_key_env: NAME}); inline secrets are rejected. Referenced
 * variables are read at run time (see {@link UpstreamConfig#apiKey(Map)}); one that is unset is not an error, but
 * {@link #warnings(VeilConfig, Map)} reports it.
 *
 * <p>Messages never echo configuration values that could be secrets, nor the content of a malformed file.
 */
public final class ConfigLoader {

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private static final ObjectMapper BINDER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private ConfigLoader() {
    }

    /**
     * Loads and validates a configuration file.
     *
     * @param file the YAML file
     * @param env  the environment ({@code System.getenv()} in production) for {@code VEIL_<PATH>} overrides
     * @throws ConfigException when the file cannot be read, is not valid YAML, or the configuration is invalid
     */
    public static VeilConfig load(Path file, Map<String, String> env) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": configuration file not found");
        } catch (MalformedInputException e) {
            throw new ConfigException(file + ": configuration file is not valid UTF-8");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read configuration file (" + e.getClass().getSimpleName()
                    + ")");
        }
        return parse(text, env, file.toString());
    }

    /**
     * Parses and validates configuration text.
     *
     * @param yaml the YAML text; empty text yields the defaults (plus overrides)
     * @param env  the environment for {@code VEIL_<PATH>} overrides
     * @throws ConfigException when the text is not valid YAML or the configuration is invalid
     */
    public static VeilConfig parse(String yaml, Map<String, String> env) {
        return parse(yaml, env, null);
    }

    /** A configuration with every default and no upstreams or models; same as {@link VeilConfig#defaults()}. */
    public static VeilConfig defaults() {
        return VeilConfig.defaults();
    }

    /**
     * Validates a configuration built in code (the loader already does this for loaded ones).
     *
     * @throws ConfigException listing every problem
     */
    public static void validate(VeilConfig config) {
        Problems problems = new Problems();
        new Validator(problems).validate(config);
        problems.throwIfAny();
    }

    /**
     * Start-up warnings that do not stop Veil: referenced environment variables that are unset (naming the
     * upstream or setting and the variable, never a value) and upstreams no route uses.
     *
     * @param config a loaded configuration
     * @param env    the environment the gateway will read credentials from
     */
    public static List<String> warnings(VeilConfig config, Map<String, String> env) {
        List<String> warnings = new ArrayList<>();
        ServerConfig server = config.server();
        if (!EnvRef.isSet(server.adminTokenEnv(), env)) {
            warnings.add("server.admin_token_env: environment variable " + server.adminTokenEnv()
                    + " is not set; the admin API is disabled");
        }
        StoreConfig store = config.store();
        if (store.usernameEnv() != null && !EnvRef.isSet(store.usernameEnv(), env)) {
            warnings.add("store.username_env: environment variable " + store.usernameEnv()
                    + " is not set; connecting to the database without a user name");
        }
        if (store.passwordEnv() != null && !EnvRef.isSet(store.passwordEnv(), env)) {
            warnings.add("store.password_env: environment variable " + store.passwordEnv()
                    + " is not set; connecting to the database without a password");
        }
        RedisConfig redis = config.redis();
        if (redis.passwordEnv() != null && !EnvRef.isSet(redis.passwordEnv(), env)) {
            warnings.add("redis.password_env: environment variable " + redis.passwordEnv()
                    + " is not set; connecting to Redis without a password");
        }
        Set<String> used = new HashSet<>();
        for (ModelConfig model : config.models()) {
            for (RouteConfig route : model.routes()) {
                used.add(route.upstream());
            }
        }
        for (UpstreamConfig upstream : config.upstreams()) {
            if (upstream.apiKeyEnv() != null && !EnvRef.isSet(upstream.apiKeyEnv(), env)) {
                warnings.add("upstream '" + upstream.name() + "': environment variable " + upstream.apiKeyEnv()
                        + " (api_key_env) is not set; requests to it are sent without a credential");
            }
            if (!used.contains(upstream.name())) {
                warnings.add("upstream '" + upstream.name() + "' is not used by any route");
            }
        }
        return List.copyOf(warnings);
    }

    private static VeilConfig parse(String text, Map<String, String> env, String source) {
        Map<String, String> environment = env == null ? Map.of() : env;
        JsonNode tree = readYaml(text, source);
        Problems problems = new Problems();
        ObjectNode root;
        if (tree == null || tree.isNull() || tree.isMissingNode()) {
            root = YAML.createObjectNode();
        } else if (tree.isObject()) {
            root = (ObjectNode) tree;
        } else {
            throw new ConfigException(prefix(source) + "(top level): expected a mapping with server, store, "
                    + "upstreams and models, got " + TreeChecker.describe(tree));
        }
        new EnvOverrides(YAML, problems).apply(root, environment);
        new TreeChecker(problems).checkObject(root, Schema.ROOT, "");
        TreeChecker.fillDefaults(root, Schema.ROOT);
        VeilConfig config;
        try {
            config = BINDER.treeToValue(root, VeilConfig.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            // The checks above make this unreachable; never echo the value.
            problems.addLine(prefix(source) + "cannot bind configuration (" + e.getClass().getSimpleName() + ")");
            throw new ConfigException(problems.list());
        }
        new Validator(problems).validate(config);
        if (!problems.isEmpty()) {
            List<String> lines = problems.list();
            if (source != null) {
                lines = lines.stream().map(line -> source + ": " + line).toList();
            }
            throw new ConfigException(lines);
        }
        return config;
    }

    private static String prefix(String source) {
        return source == null ? "" : source + ": ";
    }

    private static JsonNode readYaml(String text, String source) {
        try {
            return YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(prefix(source) + "invalid YAML" + location(e) + problem(e));
        }
    }

    private static String location(JsonProcessingException e) {
        int line = -1;
        int column = -1;
        Throwable cause = e.getCause();
        if (cause instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked && marked.getProblemMark() != null) {
            line = marked.getProblemMark().getLine() + 1;
            column = marked.getProblemMark().getColumn() + 1;
        } else {
            JsonLocation loc = e.getLocation();
            if (loc != null) {
                line = loc.getLineNr();
                column = loc.getColumnNr();
            }
        }
        if (line < 1) {
            return "";
        }
        return " at line " + line + (column >= 1 ? ", column " + column : "");
    }

    /** A short description of the syntax problem with anything quoted from the file removed. */
    private static String problem(JsonProcessingException e) {
        String problem = null;
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException marked) {
            problem = marked.getProblem();
        } else if (e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")) {
            problem = "duplicate key";
        }
        if (problem == null || problem.isBlank()) {
            return "";
        }
        String cleaned = redactQuoted(problem).replaceAll("\\s+", " ").trim();
        return cleaned.isEmpty() ? "" : ": " + cleaned;
    }

    /**
     * Replaces every quoted part of a parser message longer than two characters by an ellipsis: short quoted tokens
     * such as {@code ','} or {@code '\t'} describe syntax; anything longer could be file content.
     */
    static String redactQuoted(String message) {
        StringBuilder out = new StringBuilder(message.length());
        int i = 0;
        while (i < message.length()) {
            char c = message.charAt(i);
            int close = (c == '\'' || c == '"') ? message.indexOf(c, i + 1) : -1;
            if (close < 0) {
                out.append(c);
                i++;
                continue;
            }
            String inner = message.substring(i + 1, close);
            out.append(c).append(inner.length() <= 2 ? inner : "…").append(c);
            i = close + 1;
        }
        return out.toString();
    }
}
