package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SecretsTest {

    static final String SECRET = "sk-proj-DO-NOT-ECHO";

    static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, Map.of());
        } catch (ConfigException e) {
            assertThat(e.getMessage()).doesNotContain(SECRET);
            return e.problems();
        }
        throw new AssertionError("expected a ConfigException");
    }

    @ParameterizedTest
    @ValueSource(strings = {"api_key", "key", "token", "password", "secret", "authorization", "API_KEY", "apiKey",
        "access_token", "client_secret"})
    void inlineUpstreamSecretIsRejected(String field) {
        assertThat(problems("upstreams: [{name: a, base_url: 'https://h/v1', " + field + ": " + SECRET + "}]"))
                .containsExactly("upstreams[0]." + field + ": secrets must not be written in the configuration; "
                        + "give them by environment reference (api_key_env: NAME)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Authorization", "api-key", "X-API-Key", "proxy-authorization", "cookie",
        "x-goog-api-key", "x-auth-token"})
    void credentialHeadersAreRejected(String header) {
        assertThat(problems("upstreams: [{name: a, base_url: 'https://h/v1', headers: {" + header + ": "
                + SECRET + "}}]")).containsExactly("upstreams[0].headers." + header + ": credential headers must "
                + "not be written in the configuration; secrets must be given by environment reference "
                + "(api_key_env: NAME)");
    }

    @Test
    void nonSecretHeadersAreFine() {
        VeilConfig config = ConfigLoader.parse("upstreams: [{name: a, base_url: 'https://h/v1', headers: "
                + "{X-Title: Veil, x-api-revision: 2023-06-01, x-priority: 3}}]", Map.of());
        assertThat(config.upstreams().get(0).headers()).containsEntry("x-api-revision", "2023-06-01")
                .containsEntry("x-priority", "3");
    }

    @Test
    void headersVeilSetsItselfAreRefused() {
        // anthropic-version is sent by Veil to Messages upstreams (the client's accepted value), never configured.
        assertThat(problems("upstreams: [{name: a, base_url: 'https://h/v1', headers: {anthropic-version: "
                + "2023-06-01}}]")).containsExactly("upstreams[0].headers.anthropic-version: Veil sets this header "
                + "itself; it cannot be configured");
    }

    @Test
    void headersVeilSetsItselfAreRejected() {
        assertThat(problems("upstreams: [{name: a, base_url: 'https://h/v1', headers: {Host: x, "
                + "Content-Length: '1'}}]")).containsExactly(
                "upstreams[0].headers.Host: Veil sets this header itself; it cannot be configured",
                "upstreams[0].headers.Content-Length: Veil sets this header itself; it cannot be configured");
    }

    @Test
    void headerValuesMustNotContainLineBreaks() {
        assertThat(problems("upstreams: [{name: a, base_url: 'https://h/v1', headers: {x-a: \"b\\r\\nx-evil: 1\"}}]"))
                .containsExactly("upstreams[0].headers.x-a: header values must not contain line breaks or NUL");
    }

    @Test
    void credentialsInBaseUrlAreRejected() {
        assertThat(problems("upstreams: [{name: a, base_url: 'https://user:" + SECRET + "@h.example/v1'}]"))
                .containsExactly("upstreams[0].base_url: must not contain credentials; secrets must be given by "
                        + "environment reference (api_key_env: NAME)");
    }

    @Test
    void apiKeyEnvMustBeAVariableNameNotTheKey() {
        assertThat(problems("upstreams: [{name: a, base_url: 'https://h/v1', api_key_env: " + SECRET + "}]"))
                .containsExactly("upstreams[0].api_key_env: must be the NAME of an environment variable (letters, "
                        + "digits and underscores), not the secret itself");
    }

    @ParameterizedTest
    @ValueSource(strings = {"password", "username", "user", "db_password"})
    void inlineStoreCredentialsAreRejected(String field) {
        assertThat(problems("store: {" + field + ": " + SECRET + "}")).containsExactly(
                "store." + field + ": secrets must not be written in the configuration; give them by environment "
                        + "reference (username_env: NAME / password_env: NAME)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "jdbc:postgresql://db/veil?user=veil&password=" + SECRET,
        "jdbc:postgresql://db/veil?PASSWORD = " + SECRET,
        "jdbc:postgresql://veil:" + SECRET + "@db/veil",
    })
    void jdbcUrlWithPasswordIsRejected(String url) {
        assertThat(problems("store: {jdbc_url: '" + url + "'}")).containsExactly(
                "store.jdbc_url: must not contain a password; secrets must be given by environment reference "
                        + "(password_env: NAME, username_env: NAME)");
    }

    @Test
    void storeCredentialEnvNamesAreChecked() {
        assertThat(problems("store: {username_env: 'my user', password_env: " + SECRET + "}")).containsExactly(
                "store.username_env: must be the NAME of an environment variable (letters, digits and underscores), "
                        + "not the secret itself",
                "store.password_env: must be the NAME of an environment variable (letters, digits and underscores), "
                        + "not the secret itself");
    }

    @Test
    void secretLookingKeysElsewhereAreRejectedToo() {
        assertThat(problems("server: {admin_token: " + SECRET + "}")).containsExactly(
                "server.admin_token: secrets must not be written in the configuration; give them by environment "
                        + "reference (admin_token_env: NAME)");
    }

    @Test
    void unsetReferenceIsNotALoadError() {
        VeilConfig config = ConfigLoader.parse("""
                upstreams: [{name: openai, base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY}]
                models: [{id: m, routes: [{upstream: openai}]}]
                """, Map.of());
        assertThat(config.upstreams().get(0).apiKey(Map.of())).isEmpty();
        assertThat(ConfigLoader.warnings(config, Map.of("VEIL_ADMIN_TOKEN", "x"))).containsExactly(
                "upstream 'openai': environment variable OPENAI_API_KEY (api_key_env) is not set; requests to it are "
                        + "sent without a credential");
        assertThat(config.upstreams().get(0).apiKey(Map.of("OPENAI_API_KEY", "sk-1"))).contains("sk-1");
    }
}
