package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.PrivacyMode;
import dev.veil.protocol.TeeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    static final Path EXAMPLE = Path.of("../veil.example.yaml");

    @Test
    void exampleFileParses() {
        VeilConfig config = ConfigLoader.load(EXAMPLE, Map.of());

        assertThat(config.server().host()).isEqualTo("127.0.0.1");
        assertThat(config.server().port()).isEqualTo(8080);
        assertThat(config.server().forwardHeaders()).containsExactly("x-request-id");
        assertThat(config.upstreams()).extracting(UpstreamConfig::name)
                .containsExactly("local-vllm", "openai", "tee-cloud");
        UpstreamConfig local = config.upstream("local-vllm").orElseThrow();
        assertThat(local.apiKeyEnv()).isNull();
        assertThat(local.apiKey(Map.of())).isEmpty();
        UpstreamConfig openai = config.upstream("openai").orElseThrow();
        assertThat(openai.apiKeyEnv()).isEqualTo("OPENAI_API_KEY");
        assertThat(openai.headers()).containsEntry("x-title", "Veil");

        assertThat(config.models()).extracting(ModelConfig::id)
                .containsExactly("llama-3.1-8b", "gpt-4o-mini", "llama-3.3-70b-tee");
        ModelConfig gpt = config.model("gpt-4o-mini").orElseThrow();
        assertThat(gpt.ownedBy()).isEqualTo("veil");
        assertThat(gpt.routes()).extracting(RouteConfig::name).containsExactly("openai-zdr", "openai-standard");
        assertThat(gpt.route("openai-zdr").orElseThrow().policy().mode()).isEqualTo(PrivacyMode.PRIVATE);
        assertThat(gpt.route("openai-standard").orElseThrow().policy().mode()).isEqualTo(PrivacyMode.ANONYMIZED);
        assertThat(gpt.routes().get(0).price().outputPerMillion()).isEqualTo(0.60);
        assertThat(gpt.routes().get(0).weight()).isEqualTo(3);

        RouteConfig tee = config.model("llama-3.3-70b-tee").orElseThrow().routes().get(0);
        assertThat(tee.name()).isEqualTo("tee-cloud");
        assertThat(tee.policy().toDataPolicy().tee()).isEqualTo(TeeKind.SEV_SNP);
        assertThat(tee.policy().mode()).isEqualTo(PrivacyMode.TEE);
    }

    @Test
    void exampleFileWarnsAboutUnsetKeysOnly() {
        VeilConfig config = ConfigLoader.load(EXAMPLE, Map.of());
        Map<String, String> env = Map.of("VEIL_ADMIN_TOKEN", "t", "OPENAI_API_KEY", "sk-live",
                "TEE_CLOUD_API_KEY", "k");
        assertThat(ConfigLoader.warnings(config, env)).isEmpty();
        assertThat(config.upstream("openai").orElseThrow().apiKey(env)).contains("sk-live");
    }

    @Test
    void emptyFileGivesDefaults() {
        VeilConfig config = ConfigLoader.parse("", Map.of());
        assertThat(config).isEqualTo(ConfigLoader.defaults());
        assertThat(config).isEqualTo(VeilConfig.defaults());

        ServerConfig server = config.server();
        assertThat(server.host()).isEqualTo("127.0.0.1");
        assertThat(server.port()).isEqualTo(8080);
        assertThat(server.maxBodyBytes()).isEqualTo(16_777_216L);
        assertThat(server.adminTokenEnv()).isEqualTo("VEIL_ADMIN_TOKEN");
        assertThat(server.forwardHeaders()).isEmpty();

        StoreConfig store = config.store();
        assertThat(store.dataDir()).isEqualTo("./veil-data");
        assertThat(store.jdbcUrl()).isNull();
        assertThat(store.effectiveJdbcUrl()).isEqualTo("jdbc:sqlite:./veil-data/veil.db");
        assertThat(store.isSqlite()).isTrue();
        assertThat(store.usernameEnv()).isNull();
        assertThat(store.passwordEnv()).isNull();
        assertThat(store.poolSize()).isEqualTo(8);
        assertThat(store.retentionDays()).isEqualTo(30);

        assertThat(config.upstreams()).isEmpty();
        assertThat(config.models()).isEmpty();
    }

    @Test
    void emptySectionsAndNullsGiveDefaults() {
        VeilConfig config = ConfigLoader.parse("server:\nstore: {}\nupstreams:\nmodels: []\n", Map.of());
        assertThat(config).isEqualTo(VeilConfig.defaults());
    }

    @Test
    void defaultsAppliedToUpstreamsModelsAndRoutes() {
        VeilConfig config = ConfigLoader.parse("""
                upstreams:
                  - name: local
                    base_url: http://127.0.0.1:8000/v1
                models:
                  - id: llama
                    routes:
                      - upstream: local
                """, Map.of());

        UpstreamConfig upstream = config.upstreams().get(0);
        assertThat(upstream).isEqualTo(UpstreamConfig.of("local", "http://127.0.0.1:8000/v1"));
        assertThat(upstream.connectTimeoutMs()).isEqualTo(5_000);
        assertThat(upstream.idleTimeoutMs()).isEqualTo(300_000);
        assertThat(upstream.maxConnections()).isEqualTo(256);
        assertThat(upstream.headers()).isEmpty();

        ModelConfig model = config.models().get(0);
        assertThat(model.ownedBy()).isEqualTo("veil");
        assertThat(model.description()).isNull();
        RouteConfig route = model.routes().get(0);
        assertThat(route.name()).isEqualTo("local");
        assertThat(route.model()).isEqualTo("llama");
        assertThat(route.weight()).isEqualTo(1);
        assertThat(route.price()).isEqualTo(PriceConfig.ZERO);
        assertThat(route.policy()).isEqualTo(PolicyConfig.UNKNOWN);
        assertThat(route.policy().mode()).isEqualTo(PrivacyMode.ANONYMIZED);
    }

    @Test
    void policyFieldsLeftOutStayNull() {
        VeilConfig config = ConfigLoader.parse("""
                upstreams: [{name: u, base_url: "https://x.example/v1"}]
                models:
                  - id: m
                    routes:
                      - upstream: u
                        policy: {trains: false, retention_days: 0, tee: tdx, e2ee: true}
                """, Map.of());
        PolicyConfig policy = config.models().get(0).routes().get(0).policy();
        assertThat(policy.zdr()).isNull();
        assertThat(policy.jurisdiction()).isNull();
        assertThat(policy.toDataPolicy().tee()).isEqualTo(TeeKind.TDX);
        assertThat(policy.mode()).isEqualTo(PrivacyMode.E2EE);
    }

    @Test
    void forwardHeadersAreLowerCased() {
        VeilConfig config = ConfigLoader.parse("server: {forward_headers: [X-Request-ID, ' X-Trace ']}", Map.of());
        assertThat(config.server().forwardHeaders()).containsExactly("x-request-id", "x-trace");
    }

    @Test
    void portZeroIsAllowed() {
        assertThat(ConfigLoader.parse("server: {port: 0}", Map.of()).server().port()).isZero();
    }

    @Test
    void stringFieldsAcceptOtherScalars() {
        VeilConfig config = ConfigLoader.parse("""
                upstreams: [{name: 7, base_url: "http://h/v1"}]
                models: [{id: 3.5, routes: [{upstream: 7}]}]
                """, Map.of());
        assertThat(config.upstreams().get(0).name()).isEqualTo("7");
        assertThat(config.models().get(0).id()).isEqualTo("3.5");
    }

    @Test
    void storeEffectiveJdbcUrlAndCredentials() {
        VeilConfig config = ConfigLoader.parse("""
                store:
                  jdbc_url: jdbc:postgresql://db:5432/veil
                  username_env: DB_USER
                  password_env: DB_PASS
                """, Map.of());
        StoreConfig store = config.store();
        assertThat(store.effectiveJdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/veil");
        assertThat(store.isSqlite()).isFalse();
        assertThat(store.username(Map.of("DB_USER", "veil"))).contains("veil");
        assertThat(store.password(Map.of("DB_PASS", "pw"))).contains("pw");
        assertThat(store.password(Map.of())).isEmpty();
    }

    @Test
    void loadsFromFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("veil.yaml");
        Files.writeString(file, "server:\n  port: 9999\n");
        assertThat(ConfigLoader.load(file, Map.of()).server().port()).isEqualTo(9999);
    }

    @Test
    void missingFileIsAConfigException(@TempDir Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml"), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.yaml")
                .hasMessageContaining("not found");
    }

    @Test
    void problemsInAFileNameTheFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("veil.yaml");
        Files.writeString(file, "server:\n  port: 70000\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .containsExactly(file + ": server.port: must be between 0 and 65535 (0 picks a free port)"));
    }

    @Test
    void yamlSyntaxErrorGivesLineAndColumnWithoutContent() {
        String yaml = "server:\n  port: 8080\n  host: [unclosed-sk-secret-value\nstore: {}\n";
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("invalid YAML at line ")
                .hasMessageContaining("column ")
                .hasMessageNotContaining("sk-secret")
                .hasMessageNotContaining("unclosed");
    }

    @Test
    void badIndentationGivesLocation() {
        String yaml = "server:\n  port: 8080\n   host: hunter2-secret\n";
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageMatching("(?s).*invalid YAML at line 3, column \\d+.*")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void duplicateKeysAreRejected() {
        assertThatThrownBy(() -> ConfigLoader.parse("server:\n  port: 1\n  port: 2\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("invalid YAML at line 3")
                .hasMessageContaining("duplicate key");
    }

    @Test
    void topLevelMustBeAMapping() {
        assertThatThrownBy(() -> ConfigLoader.parse("- a\n- b\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("(top level): expected a mapping");
    }

    @Test
    void validateChecksConfigsBuiltInCode() {
        VeilConfig ok = new VeilConfig(null, null, List.of(UpstreamConfig.of("u", "http://h/v1")),
                List.of(new ModelConfig("m", null, null,
                        List.of(new RouteConfig(null, "u", "m", 1, null, null)))));
        ConfigLoader.validate(ok);
        assertThat(ok.models().get(0).routes().get(0).name()).isEqualTo("u");

        VeilConfig bad = new VeilConfig(null, null, List.of(),
                List.of(new ModelConfig("m", null, null, List.of(new RouteConfig(null, "u", "m", 0, null, null)))));
        assertThatThrownBy(() -> ConfigLoader.validate(bad))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "models[0].routes[0].upstream: unknown upstream 'u' (known: none)",
                        "models[0].routes[0].weight: must be at least 1"));
    }

    @Test
    void warningsNameUpstreamAndVariableButNeverTheValue() {
        VeilConfig config = ConfigLoader.parse("""
                upstreams:
                  - {name: openai, base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY}
                  - {name: spare, base_url: "http://127.0.0.1:9000/v1"}
                models:
                  - {id: m, routes: [{upstream: openai}]}
                store: {jdbc_url: "jdbc:postgresql://db/veil", password_env: DB_PASS}
                """, Map.of());

        List<String> warnings = ConfigLoader.warnings(config, Map.of("OPENAI_API_KEY", ""));
        assertThat(warnings).contains(
                "upstream 'openai': environment variable OPENAI_API_KEY (api_key_env) is not set; requests to it "
                        + "are sent without a credential",
                "upstream 'spare' is not used by any route",
                "server.admin_token_env: environment variable VEIL_ADMIN_TOKEN is not set; the admin API is disabled",
                "store.password_env: environment variable DB_PASS is not set; connecting to the database without a "
                        + "password");
        assertThat(config.upstream("openai").orElseThrow().apiKey(Map.of())).isEmpty();

        Map<String, String> env = Map.of("OPENAI_API_KEY", "sk-very-secret", "VEIL_ADMIN_TOKEN", "adm",
                "DB_PASS", "pw");
        List<String> none = ConfigLoader.warnings(config, env);
        assertThat(none).containsExactly("upstream 'spare' is not used by any route");
        assertThat(String.join("\n", none)).doesNotContain("sk-very-secret");
    }

    @Test
    void configExceptionListsEachProblemOnItsOwnLine() {
        ConfigException e = new ConfigException(List.of("a: one", "b: two"));
        assertThat(e.getMessage()).isEqualTo("invalid configuration (2 problems):\n  a: one\n  b: two");
        assertThat(e.problems()).containsExactly("a: one", "b: two");
    }

    @Test
    void parserMessagesKeepSyntaxTokensButDropQuotedContent() {
        assertThat(ConfigLoader.redactQuoted("expected ',' or ']', but got '<scalar>'"))
                .isEqualTo("expected ',' or ']', but got '…'");
        assertThat(ConfigLoader.redactQuoted("found \"sk-secret\" here")).isEqualTo("found \"…\" here");
        assertThat(ConfigLoader.redactQuoted("unbalanced 'quote")).isEqualTo("unbalanced 'quote");
    }
}
