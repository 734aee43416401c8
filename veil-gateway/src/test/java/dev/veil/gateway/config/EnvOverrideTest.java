package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvOverrideTest {

    static final String BASE = """
            server:
              port: 8080
            upstreams:
              - name: local
                base_url: http://127.0.0.1:8000/v1
                headers: {X-Title: Veil}
            models:
              - id: llama
                routes:
                  - upstream: local
            """;

    static List<String> problems(String yaml, Map<String, String> env) {
        try {
            ConfigLoader.parse(yaml, env);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected a ConfigException");
    }

    @Test
    void scalarOverride() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of("VEIL_SERVER__PORT", "9000"));
        assertThat(config.server().port()).isEqualTo(9000);
    }

    @Test
    void overrideSegmentsMatchCaseInsensitively() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of("VEIL_Server__Max_Body_Bytes", "1024",
                "VEIL_SERVER__HOST", "0.0.0.0"));
        assertThat(config.server().maxBodyBytes()).isEqualTo(1024);
        assertThat(config.server().host()).isEqualTo("0.0.0.0");
    }

    @Test
    void valuesAreParsedAsYamlScalars() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of(
                "VEIL_MODELS__0__ROUTES__0__POLICY__TRAINS", "false",
                "VEIL_MODELS__0__ROUTES__0__POLICY__RETENTION_DAYS", "0",
                "VEIL_MODELS__0__ROUTES__0__PRICE__INPUT_PER_MILLION", "0.25",
                "VEIL_MODELS__0__ROUTES__0__POLICY__JURISDICTION", "NO"));
        RouteConfig route = config.models().get(0).routes().get(0);
        assertThat(route.policy().trains()).isFalse();
        assertThat(route.policy().retentionDays()).isZero();
        assertThat(route.policy().jurisdiction()).isEqualTo("NO");
        assertThat(route.price().inputPerMillion()).isEqualTo(0.25);
    }

    @Test
    void nestedOverrideCreatesMissingObject() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of("VEIL_STORE__RETENTION_DAYS", "7",
                "VEIL_MODELS__0__ROUTES__0__POLICY__TEE", "tdx"));
        assertThat(config.store().retentionDays()).isEqualTo(7);
        assertThat(config.store().poolSize()).isEqualTo(8);
        assertThat(config.models().get(0).routes().get(0).policy().tee()).isEqualTo("tdx");
    }

    @Test
    void overridesApplyToAnEmptyFile() {
        VeilConfig config = ConfigLoader.parse("", Map.of("VEIL_SERVER__PORT", "1234"));
        assertThat(config.server().port()).isEqualTo(1234);
    }

    @Test
    void listElementByIndex() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of("VEIL_UPSTREAMS__0__BASE_URL",
                "http://gpu-box:8000/v1", "VEIL_UPSTREAMS__0__API_KEY_ENV", "LOCAL_KEY"));
        assertThat(config.upstreams().get(0).baseUrl()).isEqualTo("http://gpu-box:8000/v1");
        assertThat(config.upstreams().get(0).apiKeyEnv()).isEqualTo("LOCAL_KEY");
        assertThat(config.upstreams().get(0).name()).isEqualTo("local");
    }

    @Test
    void listElementAtSizeIsAppendedInNumericOrder() {
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 1; i <= 11; i++) {
            env.put("VEIL_UPSTREAMS__" + i + "__NAME", "u" + i);
            env.put("VEIL_UPSTREAMS__" + i + "__BASE_URL", "http://h" + i + "/v1");
        }
        VeilConfig config = ConfigLoader.parse(BASE, env);
        assertThat(config.upstreams()).hasSize(12);
        assertThat(config.upstreams().get(11).name()).isEqualTo("u11");
        assertThat(config.upstreams().get(11).baseUrl()).isEqualTo("http://h11/v1");
    }

    @Test
    void listIndexBeyondTheEndIsAnError() {
        assertThat(problems(BASE, Map.of("VEIL_UPSTREAMS__5__NAME", "x"))).containsExactly(
                "VEIL_UPSTREAMS__5__NAME: index 5 is out of range: upstreams has 1 element(s); use index 1 to add one");
    }

    @Test
    void wholeListOfStringsByCommasOrFlowSequence() {
        assertThat(ConfigLoader.parse(BASE, Map.of("VEIL_SERVER__FORWARD_HEADERS", "X-A, x-b"))
                .server().forwardHeaders()).containsExactly("x-a", "x-b");
        assertThat(ConfigLoader.parse(BASE, Map.of("VEIL_SERVER__FORWARD_HEADERS", "[x-c]"))
                .server().forwardHeaders()).containsExactly("x-c");
        assertThat(ConfigLoader.parse(BASE, Map.of("VEIL_SERVER__FORWARD_HEADERS__0", "x-d"))
                .server().forwardHeaders()).containsExactly("x-d");
    }

    @Test
    void headerOverrideReplacesCaseInsensitivelyAndMapsUnderscoresToDashes() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of("VEIL_UPSTREAMS__0__HEADERS__X_TITLE", "Other",
                "VEIL_UPSTREAMS__0__HEADERS__X_REGION", "eu"));
        assertThat(config.upstreams().get(0).headers())
                .containsExactly(Map.entry("X-Title", "Other"), Map.entry("x-region", "eu"));
    }

    @Test
    void emptyValueResetsToTheDefault() {
        VeilConfig config = ConfigLoader.parse(BASE, Map.of("VEIL_SERVER__PORT", ""));
        assertThat(config.server().port()).isEqualTo(8080);
    }

    @Test
    void unknownPathIsAnErrorNamingTheVariable() {
        assertThat(problems(BASE, Map.of("VEIL_SERVER__PROT", "9000"))).containsExactly(
                "VEIL_SERVER__PROT: no setting 'prot' in server; known fields are host, port, max_body_bytes, "
                        + "admin_token_env, forward_headers, request_header_timeout_ms, request_body_timeout_ms, "
                        + "idle_timeout_ms, max_request_line_bytes, max_header_bytes, send_timeout_ms, body_memory_bytes, shutdown_grace_ms, "
                        + "sign_receipts");
        assertThat(problems(BASE, Map.of("VEIL_NOPE__X", "1"))).containsExactly(
                "VEIL_NOPE__X: no setting 'nope' in (top level); known fields are server, store, upstreams, models, routing, attestation, batch, redis");
        assertThat(problems(BASE, Map.of("VEIL_SERVER__PORT__X", "1"))).containsExactly(
                "VEIL_SERVER__PORT__X: server.port is a single value; nothing is nested under 'x'");
        assertThat(problems(BASE, Map.of("VEIL_UPSTREAMS__FIRST__NAME", "1"))).containsExactly(
                "VEIL_UPSTREAMS__FIRST__NAME: upstreams is a list; expected an element index, not 'first'");
        assertThat(problems(BASE, Map.of("VEIL_SERVER____PORT", "1"))).singleElement().asString()
                .startsWith("VEIL_SERVER____PORT: malformed override name");
    }

    @Test
    void overrideWithAWrongTypedValueNamesPathAndVariable() {
        assertThat(problems(BASE, Map.of("VEIL_SERVER__PORT", "ninety"))).containsExactly(
                "server.port: expected an integer, got a string (set by VEIL_SERVER__PORT)");
        assertThat(problems(BASE, Map.of("VEIL_SERVER__PORT", "99999"))).containsExactly(
                "server.port: must be between 0 and 65535 (0 picks a free port) (set by VEIL_SERVER__PORT)");
        assertThat(problems(BASE, Map.of("VEIL_MODELS__0__ROUTES__0__UPSTREAM", "ghost"))).containsExactly(
                "models[0].routes[0].upstream: unknown upstream 'ghost' (known: local) "
                        + "(set by VEIL_MODELS__0__ROUTES__0__UPSTREAM)");
    }

    @Test
    void overrideThroughAValueOfTheWrongShapeIsAnError() {
        assertThat(problems("server: 5", Map.of("VEIL_SERVER__PORT", "1"))).containsExactly(
                "VEIL_SERVER__PORT: cannot apply: server in the YAML is not a mapping",
                "server: expected a mapping, got an integer");
    }

    @Test
    void nonOverrideVeilVariablesAreIgnored() {
        Map<String, String> env = Map.of(
                "VEIL_ADMIN_TOKEN", "secret-admin",
                "VEIL_LOG_LEVEL", "DEBUG",
                "VEIL_API_KEY", "sk-x",
                "VEIL_PORT", "1",
                "PATH", "/usr/bin",
                "OTHER__THING", "x");
        VeilConfig config = ConfigLoader.parse(BASE, env);
        assertThat(config.server().port()).isEqualTo(8080);
    }

    @Test
    void inlineSecretByOverrideIsRejectedWithoutEchoingIt() {
        List<String> problems = problems(BASE, Map.of("VEIL_UPSTREAMS__0__API_KEY", "sk-leak"));
        assertThat(problems).containsExactly("VEIL_UPSTREAMS__0__API_KEY: upstreams[0].api_key is not a setting; "
                + "secrets must be given by environment reference (api_key_env: NAME), not as values");
        assertThat(String.join("\n", problems)).doesNotContain("sk-leak");
    }

    @Test
    void credentialHeaderByOverrideIsRejected() {
        assertThat(problems(BASE, Map.of("VEIL_UPSTREAMS__0__HEADERS__AUTHORIZATION", "Bearer sk-leak")))
                .singleElement().asString()
                .startsWith("upstreams[0].headers.authorization: credential headers must not be written")
                .contains("api_key_env: NAME")
                .doesNotContain("sk-leak");
    }

    @Test
    void isOverride() {
        assertThat(EnvOverrides.isOverride("VEIL_SERVER__PORT")).isTrue();
        assertThat(EnvOverrides.isOverride("VEIL_ADMIN_TOKEN")).isFalse();
        assertThat(EnvOverrides.isOverride("VEIL_LOG_LEVEL")).isFalse();
        assertThat(EnvOverrides.isOverride("VEIL__X")).isFalse();
        assertThat(EnvOverrides.isOverride("XVEIL_SERVER__PORT")).isFalse();
    }
}
