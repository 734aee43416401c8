package dev.veil.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.veil.app.LogConfigurator;
import dev.veil.app.VeilCommand;
import dev.veil.gateway.config.ConfigException;
import dev.veil.gateway.config.ConfigLoader;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.gateway.http.ApiServer;
import dev.veil.gateway.metering.ReceiptKeyFile;
import dev.veil.gateway.transparency.LogKeyFile;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Nothing under {@code deploy/} can run here (no Docker, no cluster), so this test holds the files to what the code
 * reads, derived from the code rather than from a copied list: the configuration each file mounts is loaded by
 * {@link ConfigLoader} with the environment the file gives it (unknown keys and bad overrides fail), every environment
 * variable the configuration names (every {@code *_env} field of the configuration records) is set and nothing else is
 * set but what Veil or the JVM reads, the ports and probe paths are the configured port and paths the server serves,
 * the commands are {@code veil} subcommands, the image is the one the Dockerfile builds and tags with the version
 * {@code veil --version} prints, the shared transparency log key is mounted where the gateway looks for it, and
 * nginx's limits are at least the configuration's.
 */
class DeploymentFilesTest {

    private static final Path DEPLOY = Path.of("..", "deploy");
    private static final Path DOCS = Path.of("..", "docs", "deployment.md");
    private static final YAMLMapper YAML = new YAMLMapper();
    /** Variables the JVM itself reads (set by the Dockerfile); Veil's code does not read them. */
    private static final Set<String> JVM_VARIABLES = Set.of("JAVA_TOOL_OPTIONS");

    /** {@code veil:<version>}, the version from {@code veil --version}. */
    private static String image() {
        String version = VeilCommand.class.getAnnotation(CommandLine.Command.class).version()[0];
        return "veil:" + version.substring(version.lastIndexOf(' ') + 1);
    }

    private static Set<String> subcommands() {
        return new CommandLine(new VeilCommand()).getSubcommands().keySet();
    }

    private static void assertServed(String path) {
        assertThat(ApiServer.SERVED_PATHS).as("paths the gateway serves").contains("GET " + path);
    }

    // ------------------------------------------------------------------ Dockerfile

    @Test
    void theDockerfileRunsTheShadedJarOnAJava25Runtime() throws Exception {
        List<String> lines = Files.readAllLines(DEPLOY.resolve("Dockerfile")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        List<String> froms = lines.stream().filter(l -> l.startsWith("FROM ")).toList();
        assertThat(froms.get(froms.size() - 1)).as("the runtime stage").isEqualTo("FROM eclipse-temurin:25-jre");
        // The shaded jar's name as veil-app's build makes it (the path surefire gives this test), any version.
        String jar = Path.of(System.getProperty("veil.jar")).getFileName().toString();
        String pattern = jar.replaceFirst("^(veil-app-).*(-all\\.jar)$", "$1*$2");
        assertThat(pattern).isEqualTo("veil-app-*-all.jar");
        assertThat(String.join("\n", lines)).contains("veil-app/target/" + pattern);
        String entrypoint = lines.stream().filter(l -> l.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        assertThat(entrypoint).contains("\"-jar\"", "\"/opt/veil/veil.jar\"");
        String cmd = lines.stream().filter(l -> l.startsWith("CMD ")).findFirst().orElseThrow();
        List<String> args = List.of(YAML.readValue(cmd.substring(4), String[].class));
        VeilConfig config = ConfigLoader.parse(Files.readString(DEPLOY.resolve("compose/veil.yaml")), Map.of());
        assertThat(subcommands()).contains(args.get(0));
        assertThat(args).containsExactly("serve", "--config", "/etc/veil/veil.yaml");
        assertThat(lines).contains("EXPOSE " + config.server().port());
        for (String variable : envSetBy(lines)) {
            assertThat(JVM_VARIABLES).as("the Dockerfile sets " + variable).contains(variable);
        }
    }

    private static List<String> envSetBy(List<String> dockerfile) {
        List<String> names = new ArrayList<>();
        for (String line : dockerfile) {
            Matcher m = Pattern.compile("^ENV ([A-Za-z_][A-Za-z0-9_]*)=").matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }

    // ------------------------------------------------------------------ compose

    @Test
    void composeRunsTwoInstancesOnPostgresAndValkeyBehindNginx() throws Exception {
        Path dir = DEPLOY.resolve("compose");
        JsonNode services = YAML.readTree(dir.resolve("compose.yaml").toFile()).path("services");
        String configText = Files.readString(dir.resolve("veil.yaml"));

        List<String> gateways = new ArrayList<>();
        for (Map.Entry<String, JsonNode> service : fields(services)) {
            JsonNode s = service.getValue();
            if (!image().equals(s.path("image").asText())) {
                continue;
            }
            assertThat(s.path("build").path("dockerfile").asText()).isEqualTo("deploy/Dockerfile");
            assertThat(dir.resolve(s.path("build").path("context").asText())
                    .resolve(s.path("build").path("dockerfile").asText()).normalize()).as("the Dockerfile compose builds")
                    .isEqualTo(DEPLOY.resolve("Dockerfile").normalize());
            Map<String, String> env = composeEnv(s.path("environment"));
            List<String> command = strings(s.path("command"));
            assertThat(subcommands()).contains(command.get(0));
            String configPath = option(command, "--config");
            assertThat(mountSource(s.path("volumes"), configPath)).as(service.getKey() + " mounts " + configPath)
                    .isEqualTo("./veil.yaml");
            VeilConfig config = load(configText, env, service.getKey());
            if (command.get(0).equals("migrate")) {
                assertThat(env.keySet()).as(service.getKey() + ": migrate reads only the store section")
                        .contains(config.store().usernameEnv(), config.store().passwordEnv());
                assertOnlyReadVariables(env.keySet(), config, service.getKey());
                continue;
            }
            assertThat(command.get(0)).isEqualTo("serve");
            gateways.add(service.getKey());
            assertThat(ConfigLoader.warnings(config, env)).as(service.getKey() + ": references left unset").isEmpty();
            assertOnlyReadVariables(env.keySet(), config, service.getKey());
            assertThat(config.server().host()).as("reachable from other containers").isEqualTo("0.0.0.0");
            String dataDir = config.store().dataDir();
            assertThat(mountSource(s.path("volumes"), dataDir)).as(service.getKey() + " keeps " + dataDir).isNotNull();
            assertThat(mountSource(s.path("volumes"), dataDir + "/" + LogKeyFile.NAME))
                    .as("every instance signs the shared transparency log with the same key").isEqualTo("./" + LogKeyFile.NAME);
            assertThat(mountSource(s.path("volumes"), dataDir + "/" + ReceiptKeyFile.NAME))
                    .as("every instance signs its privacy receipts with the same key").isEqualTo("./" + ReceiptKeyFile.NAME);
            String probe = String.join(" ", strings(s.path("healthcheck").path("test")));
            assertThat(probe).contains("/dev/tcp/127.0.0.1/" + config.server().port(), "GET /health/ready ");
            assertServed("/health/ready");
            assertThat(s.path("depends_on").path("migrate").path("condition").asText())
                    .isEqualTo("service_completed_successfully");

            URI database = URI.create(config.store().jdbcUrl().substring("jdbc:".length()));
            assertThat(services.path(database.getHost()).path("image").asText()).startsWith("postgres:");
            assertThat(services.path(database.getHost()).path("environment").path("POSTGRES_DB").asText())
                    .isEqualTo(database.getPath().substring(1));
            URI redis = URI.create(config.redis().url());
            assertThat(services.path(redis.getHost()).path("image").asText()).startsWith("valkey/valkey:");
            assertThat(strings(services.path(redis.getHost()).path("command"))).contains("--requirepass");
        }
        assertThat(gateways).as("gateway instances").hasSize(2);

        // nginx balances over exactly those instances at the configured port, within the configuration's limits.
        VeilConfig config = ConfigLoader.parse(configText, Map.of());
        JsonNode nginx = services.path("nginx");
        assertThat(nginx.path("image").asText()).startsWith("nginx:");
        assertThat(mountSource(nginx.path("volumes"), "/etc/nginx/nginx.conf")).isEqualTo("./nginx.conf");
        String conf = Files.readString(dir.resolve("nginx.conf"));
        Set<String> servers = new TreeSet<>();
        Matcher server = Pattern.compile("(?m)^\\s*server\\s+([\\w.-]+:\\d+)").matcher(conf);
        while (server.find()) {
            servers.add(server.group(1));
        }
        assertThat(servers).containsExactlyInAnyOrderElementsOf(
                gateways.stream().map(g -> g + ":" + config.server().port()).toList());
        assertThat(sizeBytes(directive(conf, "client_max_body_size")))
                .isGreaterThanOrEqualTo(Math.max(config.server().maxBodyBytes(), config.batch().maxFileBytes()));
        assertThat(seconds(directive(conf, "proxy_read_timeout")) * 1000).isGreaterThanOrEqualTo(config.server().idleTimeoutMs());
        assertThat(directive(conf, "proxy_buffering")).isEqualTo("off");
        String listen = directive(conf, "listen");
        assertThat(strings(nginx.path("ports"))).anySatisfy(p -> assertThat(p).endsWith(":" + listen));
        assertThat(DEPLOY.resolve("compose/env.example")).exists();

        // The image is built from the repository: the secrets compose reads next to it stay out of the build context.
        List<String> ignored = Files.readAllLines(DEPLOY.resolve("../.dockerignore"));
        assertThat(ignored).contains("deploy/compose/.env", "deploy/compose/" + LogKeyFile.NAME, "**/target", ".git");
    }

    // ------------------------------------------------------------------ Kubernetes

    @Test
    void kubernetesManifestsNameTheImagePortsProbesConfigAndSecrets() throws Exception {
        Path dir = DEPLOY.resolve("kubernetes");
        Map<String, JsonNode> byKind = new LinkedHashMap<>();
        JsonNode kustomization = YAML.readTree(dir.resolve("kustomization.yaml").toFile());
        Set<String> listed = new TreeSet<>(strings(kustomization.path("resources")));
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> !n.equals("kustomization.yaml")))
                    .as("every manifest is in kustomization.yaml").containsExactlyInAnyOrderElementsOf(listed);
        }
        for (String file : listed) {
            JsonNode doc = YAML.readTree(dir.resolve(file).toFile());
            byKind.put(doc.path("kind").asText(), doc);
        }
        assertThat(byKind.keySet()).contains("ConfigMap", "Deployment", "Service", "Job");

        JsonNode configMap = byKind.get("ConfigMap");
        JsonNode deployment = byKind.get("Deployment");
        JsonNode pod = deployment.path("spec").path("template").path("spec");
        JsonNode container = pod.path("containers").get(0);
        assertThat(container.path("image").asText()).isEqualTo(image());
        List<String> args = strings(container.path("args"));
        assertThat(args.get(0)).isEqualTo("serve");
        String configPath = option(args, "--config");
        String configText = configMapFile(configMap, pod, container, configPath);
        Map<String, String> env = kubernetesEnv(container.path("env"));
        VeilConfig config = load(configText, env, "Deployment");
        assertThat(ConfigLoader.warnings(config, env)).as("references left unset").isEmpty();
        assertOnlyReadVariables(env.keySet(), config, "Deployment");
        assertThat(config.server().host()).isEqualTo("0.0.0.0");

        JsonNode port = container.path("ports").get(0);
        assertThat(port.path("containerPort").asInt()).isEqualTo(config.server().port());
        String portName = port.path("name").asText();
        for (String probe : List.of("livenessProbe", "readinessProbe", "startupProbe")) {
            JsonNode get = container.path(probe).path("httpGet");
            assertThat(get.path("port").asText()).as(probe).isIn(portName, Integer.toString(config.server().port()));
            assertServed(get.path("path").asText());
        }
        assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
        assertThat(container.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/ready");
        String keyPath = config.store().dataDir() + "/" + LogKeyFile.NAME;
        JsonNode keyMount = mount(container, keyPath);
        assertThat(keyMount).as("the transparency log key mounted at " + keyPath).isNotNull();
        assertThat(keyMount.path("subPath").asText()).isEqualTo(LogKeyFile.NAME);
        assertThat(volume(pod, keyMount.path("name").asText()).path("secret").path("secretName").asText()).isNotBlank();
        JsonNode receiptKeyMount = mount(container, config.store().dataDir() + "/" + ReceiptKeyFile.NAME);
        assertThat(receiptKeyMount).as("the receipt key mounted from a Secret").isNotNull();
        assertThat(receiptKeyMount.path("subPath").asText()).isEqualTo(ReceiptKeyFile.NAME);
        assertThat(volume(pod, receiptKeyMount.path("name").asText()).path("secret").path("secretName").asText())
                .isNotBlank();
        assertThat(mount(container, config.store().dataDir())).as("data_dir mounted writable").isNotNull();

        JsonNode service = byKind.get("Service");
        assertThat(service.path("spec").path("selector")).isEqualTo(
                deployment.path("spec").path("template").path("metadata").path("labels"));
        assertThat(service.path("spec").path("ports").get(0).path("targetPort").asText())
                .isIn(portName, Integer.toString(config.server().port()));

        JsonNode jobPod = byKind.get("Job").path("spec").path("template").path("spec");
        JsonNode job = jobPod.path("containers").get(0);
        assertThat(job.path("image").asText()).isEqualTo(image());
        List<String> jobArgs = strings(job.path("args"));
        assertThat(jobArgs.get(0)).isEqualTo("migrate");
        assertThat(subcommands()).contains("migrate", "serve");
        Map<String, String> jobEnv = kubernetesEnv(job.path("env"));
        assertThat(configMapFile(configMap, jobPod, job, option(jobArgs, "--config"))).isEqualTo(configText);
        assertThat(jobEnv.keySet()).contains(config.store().usernameEnv(), config.store().passwordEnv());
        assertOnlyReadVariables(jobEnv.keySet(), config, "Job");

        // The docs tell the operator to create every Secret and key the manifests reference.
        String docs = Files.readString(DOCS);
        Set<String> references = new TreeSet<>();
        for (JsonNode c : List.of(container, job)) {
            for (JsonNode variable : c.path("env")) {
                JsonNode ref = variable.path("valueFrom").path("secretKeyRef");
                if (!ref.isMissingNode()) {
                    references.add(ref.path("name").asText());
                    references.add(ref.path("key").asText());
                }
            }
        }
        references.add(volume(pod, keyMount.path("name").asText()).path("secret").path("secretName").asText());
        for (String reference : references) {
            assertThat(docs).as("docs/deployment.md names " + reference).contains(reference);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static VeilConfig load(String yaml, Map<String, String> env, String where) {
        try {
            return ConfigLoader.parse(yaml, env);
        } catch (ConfigException e) {
            return fail(where + ": the configuration does not load: " + e.getMessage());
        }
    }

    /**
     * Every variable set must be read by Veil: a {@code VEIL_...__...} override (the loader checked it), a variable the
     * configuration names in one of its {@code *_env} fields, the log level, or one the JVM reads.
     */
    private static void assertOnlyReadVariables(Collection<String> set, VeilConfig config, String where) {
        Set<String> read = new HashSet<>(envReferences(config));
        read.add(LogConfigurator.LEVEL_VARIABLE);
        read.addAll(JVM_VARIABLES);
        for (String variable : set) {
            boolean override = variable.startsWith("VEIL_") && variable.substring(5).contains("__");
            assertThat(override || read.contains(variable)).as(where + " sets " + variable + ", which Veil does not read; "
                    + "it reads " + new TreeSet<>(read)).isTrue();
        }
    }

    /** The values of every {@code *Env} string component anywhere in the configuration's records. */
    static Set<String> envReferences(Object node) {
        Set<String> names = new TreeSet<>();
        collect(node, names);
        return names;
    }

    private static void collect(Object node, Set<String> names) {
        if (node instanceof Collection<?> list) {
            list.forEach(item -> collect(item, names));
            return;
        }
        if (node == null || !node.getClass().isRecord()) {
            return;
        }
        for (RecordComponent component : node.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(node);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            if (component.getName().endsWith("Env") && value instanceof String name) {
                names.add(name);
            } else {
                collect(value, names);
            }
        }
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        node.fields().forEachRemaining(out::add);
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(item -> out.add(item.asText()));
        return out;
    }

    private static String option(List<String> args, String name) {
        int at = args.indexOf(name);
        assertThat(at).as(name + " in " + args).isNotNegative();
        return args.get(at + 1);
    }

    /** Compose's environment mapping; {@code ${VAR:?...}} values count as set (compose refuses to start otherwise). */
    private static Map<String, String> composeEnv(JsonNode environment) {
        Map<String, String> env = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : fields(environment)) {
            env.put(entry.getKey(), entry.getValue().asText().startsWith("${") ? "set-by-compose" : entry.getValue().asText());
        }
        return env;
    }

    /** A container's env; values from a Secret count as set (the pod does not start without them). */
    private static Map<String, String> kubernetesEnv(JsonNode env) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode variable : env) {
            JsonNode value = variable.path("value");
            out.put(variable.path("name").asText(), value.isMissingNode() ? "set-by-secret" : value.asText());
        }
        return out;
    }

    /** The host side of the compose volume mounted at {@code target}, or null. */
    private static String mountSource(JsonNode volumes, String target) {
        for (JsonNode volume : volumes) {
            String[] parts = volume.asText().split(":");
            if (parts.length >= 2 && parts[1].equals(target)) {
                return parts[0];
            }
        }
        return null;
    }

    private static JsonNode mount(JsonNode container, String path) {
        for (JsonNode mount : container.path("volumeMounts")) {
            if (mount.path("mountPath").asText().equals(path)) {
                return mount;
            }
        }
        return null;
    }

    private static JsonNode volume(JsonNode pod, String name) {
        for (JsonNode volume : pod.path("volumes")) {
            if (volume.path("name").asText().equals(name)) {
                return volume;
            }
        }
        return fail("no volume " + name);
    }

    /** The text of the ConfigMap key that {@code container} sees at {@code path}. */
    private static String configMapFile(JsonNode configMap, JsonNode pod, JsonNode container, String path) {
        Path file = Path.of(path);
        JsonNode mount = mount(container, file.getParent().toString());
        assertThat(mount).as("a volume mounted at " + file.getParent()).isNotNull();
        JsonNode source = volume(pod, mount.path("name").asText()).path("configMap");
        assertThat(source.path("name").asText()).isEqualTo(configMap.path("metadata").path("name").asText());
        JsonNode text = configMap.path("data").path(file.getFileName().toString());
        assertThat(text.isTextual()).as("ConfigMap key " + file.getFileName()).isTrue();
        return text.asText();
    }

    private static String directive(String conf, String name) {
        Matcher m = Pattern.compile("(?m)^\\s*" + Pattern.quote(name) + "\\s+([^;]+);").matcher(conf);
        assertThat(m.find()).as("nginx.conf sets " + name).isTrue();
        return m.group(1).trim();
    }

    private static long sizeBytes(String value) {
        Matcher m = Pattern.compile("(\\d+)([kKmMgG]?)").matcher(value);
        assertThat(m.matches()).as("an nginx size: " + value).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase()) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    private static long seconds(String value) {
        Matcher m = Pattern.compile("(\\d+)(s|m)?").matcher(value);
        assertThat(m.matches()).as("an nginx time: " + value).isTrue();
        return Long.parseLong(m.group(1)) * ("m".equals(m.group(2)) ? 60 : 1);
    }
}
