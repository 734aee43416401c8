package dev.veil.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigValidationTest {

    static final String UPSTREAMS = """
            upstreams:
              - {name: a, base_url: "http://127.0.0.1:8000/v1"}
              - {name: b, base_url: "https://b.example/v1"}
            """;

    static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, Map.of());
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected a ConfigException");
    }

    static String model(String routes) {
        return UPSTREAMS + "models:\n  - id: m\n    routes:\n" + routes;
    }

    @Test
    void unknownRouteUpstreamNamesPathAndKnownUpstreams() {
        assertThat(problems(model("""
                      - upstream: a
                      - upstream: foo
                """))).containsExactly("models[0].routes[1].upstream: unknown upstream 'foo' (known: a, b)");
    }

    @Test
    void anUnknownTokenizerNamesTheRouteAndTheNamesAccepted() {
        assertThat(problems(model("""
                      - {upstream: a, tokenizer: o200k_base}
                      - {upstream: b, tokenizer: NONE}
                      - {upstream: a, name: c, tokenizer: llama3}
                """))).containsExactly("models[0].routes[2].tokenizer: unknown tokenizer 'llama3'; must be one of "
                + "r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, none (none = one token per four bytes, "
                + "marked estimated)");
    }

    @Test
    void upstreamApisAreKnownFamiliesAndNodesSpeakOnlyChat() {
        assertThat(problems("""
                upstreams:
                  - {name: a, base_url: "http://h/v1", apis: [messages]}
                  - {name: b, base_url: "http://h/v1", apis: [chat, messages]}
                  - {name: c, base_url: "http://h/v1", apis: [anthropic]}
                  - {name: d, base_url: "http://h/v1", apis: []}
                models:
                  - id: m
                    routes: [{upstream: a}, {upstream: b}, {upstream: c}, {upstream: d}]
                """)).containsExactly(
                "upstreams[2].apis: unknown API; the known ones are chat, messages, responses",
                "upstreams[3].apis: must name at least one API the upstream speaks: chat, messages, responses");
    }

    @Test
    void forwardFieldsAndStoreAreChecked() {
        assertThat(problems("""
                upstreams: [{name: a, base_url: "http://h/v1"}]
                models:
                  - id: m
                    routes:
                      - {name: r1, upstream: a, forward_fields: [privacy, model, store, ""]}
                      - {name: r2, upstream: a, store: keep}
                      - {name: r3, upstream: a, store: refuse, policy: {zdr: true}}
                      - {name: r4, upstream: a, store: refuse, forward_fields: [user, top_k]}
                """)).containsExactly(
                "models[0].routes[0].forward_fields: 'privacy' cannot be forwarded as sent: routing fields never leave "
                        + "Veil, model is always the route's model and store is governed by the route's store setting",
                "models[0].routes[0].forward_fields: 'model' cannot be forwarded as sent: routing fields never leave "
                        + "Veil, model is always the route's model and store is governed by the route's store setting",
                "models[0].routes[0].forward_fields: 'store' cannot be forwarded as sent: routing fields never leave "
                        + "Veil, model is always the route's model and store is governed by the route's store setting",
                "models[0].routes[0].forward_fields: must list non-empty field names",
                "models[0].routes[1].store: must be force_false (store is sent as false) or refuse (requests asking "
                        + "store: true may not use this route)",
                "models[0].routes[2].store: a zero-retention route always has store forced to false; leave store out "
                        + "or set force_false");
    }

    @Test
    void unknownKeysAnywhereNameTheirPathAndTheKnownFields() {
        assertThat(problems("""
                servr: {}
                server: {prot: 1}
                store: {retention: 3}
                upstreams: [{name: a, base_url: "http://h/v1", timeout: 3}]
                models: [{id: m, routes: [{upstream: a, wieght: 2, policy: {training: false}}]}]
                """)).containsExactly(
                "servr: unknown field; known fields are server, store, upstreams, models, routing, attestation, batch, redis",
                "server.prot: unknown field; known fields are host, port, max_body_bytes, admin_token_env, "
                        + "forward_headers, request_header_timeout_ms, request_body_timeout_ms, idle_timeout_ms, "
                        + "max_request_line_bytes, max_header_bytes, send_timeout_ms, body_memory_bytes, shutdown_grace_ms, "
                        + "sign_receipts",
                "store.retention: unknown field; known fields are data_dir, jdbc_url, username_env, password_env, "
                        + "pool_size, retention_days, request_log, audit_retention_days, metering_flush_ms",
                "upstreams[0].timeout: unknown field; known fields are name, base_url, api_key_env, headers, "
                        + "connect_timeout_ms, idle_timeout_ms, max_connections, node, pool_wait_timeout_ms, max_wait_queue, "
                        + "max_response_bytes, max_error_bytes, max_event_bytes, apis, attestation",
                "models[0].routes[0].wieght: unknown field; known fields are name, upstream, model, weight, price, "
                        + "policy, supported_parameters, forward_fields, store, tokenizer",
                "models[0].routes[0].policy.training: unknown field; known fields are trains, retention_days, zdr, "
                        + "tee, e2ee, jurisdiction, policy_url");
    }

    @Test
    void wrongTypesNameThePathAndTheExpectedType() {
        assertThat(problems("""
                server: {port: eighty, max_body_bytes: 1.5, forward_headers: x-a}
                store: {pool_size: true}
                upstreams: [{name: a, base_url: "http://h/v1", headers: [x], max_connections: 99999999999}]
                models:
                  - id: m
                    routes:
                      - {upstream: a, weight: "2", price: {input_per_million: cheap}, policy: {trains: "no"}}
                """)).containsExactly(
                "server.port: expected an integer, got a string",
                "server.max_body_bytes: expected an integer, got a decimal number",
                "server.forward_headers: expected a list of strings, got a string",
                "store.pool_size: expected an integer, got a boolean",
                "upstreams[0].headers: expected a mapping of names to strings, got a list",
                "upstreams[0].max_connections: expected an integer between -2147483648 and 2147483647, got a larger "
                        + "number",
                "models[0].routes[0].weight: expected an integer, got a string",
                "models[0].routes[0].price.input_per_million: expected a number, got a string",
                "models[0].routes[0].policy.trains: expected a boolean (true or false), got a string");
    }

    @Test
    void wrongTypeMessagesDoNotEchoTheValue() {
        assertThat(String.join("\n", problems("server: {port: sk-abcdef123}")))
                .doesNotContain("sk-abcdef123");
    }

    @Test
    void wrongTypedListElementsKeepTheIndicesOfLaterElements() {
        assertThat(problems(UPSTREAMS + """
                models:
                  - just-a-string
                  - {id: m2, routes: [{upstream: nope}]}
                """)).containsExactly(
                "models[0]: expected a mapping, got a string",
                "models[1].routes[0].upstream: unknown upstream 'nope' (known: a, b)");
    }

    @Test
    void wrongTypedSectionDoesNotCauseFollowOnErrors() {
        assertThat(problems(UPSTREAMS + "models: [{id: m, routes: 5}]"))
                .containsExactly("models[0].routes: expected a list of mappings, got an integer");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "server: {port: -1}                  | server.port: must be between 0 and 65535 (0 picks a free port)",
        "server: {port: 65536}               | server.port: must be between 0 and 65535 (0 picks a free port)",
        "server: {max_body_bytes: 0}         | server.max_body_bytes: must be greater than 0",
        "server: {host: ''}                  | server.host: must not be empty",
        "server: {admin_token_env: 'a b'}    | server.admin_token_env: must be the NAME of an environment variable "
                + "(letters, digits and underscores), not the secret itself",
        "store: {retention_days: 0}          | store.retention_days: must be at least 1",
        "store: {audit_retention_days: -1}   | store.audit_retention_days: must be at least 0 (0 keeps every entry)",
        "store: {pool_size: 0}               | store.pool_size: must be at least 1",
        "store: {metering_flush_ms: 0}       | store.metering_flush_ms: must be between 1 and 1000 (milliseconds)",
        "server: {sign_receipts: sometimes}  | server.sign_receipts: must be on_request (a receipt is signed when the "
                + "request sends x-veil-sign-receipt: true) or always (every receipt, about 40 µs of CPU each)",
        "store: {metering_flush_ms: 1001}    | store.metering_flush_ms: must be between 1 and 1000 (milliseconds)",
        "store: {request_log: seconds}       | store.request_log: must be one of full, minute, hour, daily_totals",
        "store: {jdbc_url: 'postgres://x'}   | store.jdbc_url: must be a JDBC URL starting with 'jdbc:' (e.g. "
                + "jdbc:postgresql://db:5432/veil), or be left out for SQLite in data_dir",
        "batch: {max_line_bytes: 100}        | batch.max_line_bytes: must be between 1024 and 1073741823 (1 GiB)",
        "batch: {download_idle_timeout_ms: 0} | batch.download_idle_timeout_ms: must be between 100 and 3600000 (1 hour)",
        "batch: {storage: s3}                | batch.storage: must be \"local\" (files under <data_dir>/files/, one instance) or \"database\" (files in the store, readable by every instance)",
        "batch: {lease_ms: 500}              | batch.lease_ms: must be between 1000 and 600000 (10 minutes)",
        "batch: {claim_interval_ms: 10}      | batch.claim_interval_ms: must be between 100 and 600000 (10 minutes)",
    })
    void scalarRangeChecksNameTheirPath(String yaml, String problem) {
        assertThat(problems(yaml)).containsExactly(problem);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "pool_wait_timeout_ms: 0    | upstreams[0].pool_wait_timeout_ms: must be at least 1",
        "max_wait_queue: -1         | upstreams[0].max_wait_queue: must be 0 (no waiting) or more",
        "max_response_bytes: 10     | upstreams[0].max_response_bytes: must be between 1024 and 1073741824 bytes",
        "max_error_bytes: 2000000   | upstreams[0].max_error_bytes: must be between 1024 and 1048576 bytes",
        "max_event_bytes: 0         | upstreams[0].max_event_bytes: must be between 1024 and 67108864 bytes",
        "apis: []                   | upstreams[0].apis: must name at least one API the upstream speaks: chat, messages, responses",
        "apis: [chat, soap]         | upstreams[0].apis: unknown API; the known ones are chat, messages, responses",
    })
    void upstreamCapsAndPoolWaitAreChecked(String field, String problem) {
        assertThat(problems("upstreams: [{name: a, base_url: \"http://h/v1\", " + field + "}]\n"
                + "models: [{id: m, routes: [{upstream: a}]}]\n")).containsExactly(problem);
    }

    @Test
    void forwardHeadersNeverIncludeSensitiveHeaders() {
        List<String> problems = problems("server: {forward_headers: [x-ok, Authorization, X-Forwarded-For, 'bad "
                + "header']}");
        assertThat(problems).hasSize(3);
        assertThat(problems.get(0)).startsWith("server.forward_headers[1]: 'authorization' is never forwarded to "
                + "upstreams; these headers are never forwarded: authorization, cookie, proxy-authorization, "
                + "x-forwarded-for, x-real-ip, forwarded, openai-organization, openai-project, host, content-length, "
                + "transfer-encoding, connection, x-api-key, anthropic-version");
        assertThat(problems.get(1)).startsWith("server.forward_headers[2]: 'x-forwarded-for' is never forwarded");
        assertThat(problems.get(2)).isEqualTo("server.forward_headers[3]: not a valid header name");
    }

    @Test
    void forwardHeadersRejectEveryNeverForwardedHeader() {
        for (String header : ServerConfig.NEVER_FORWARDED) {
            assertThat(problems("server: {forward_headers: [" + header.toUpperCase() + "]}"))
                    .singleElement().asString().contains("never forwarded");
        }
    }

    @Test
    void upstreamNamesMustBePresentAndUnique() {
        assertThat(problems("""
                upstreams:
                  - {name: a, base_url: "http://h/v1"}
                  - {name: a, base_url: "http://h/v1"}
                  - {base_url: "http://h/v1"}
                  - {name: " ", base_url: "http://h/v1"}
                """)).containsExactly(
                "upstreams[1].name: duplicate upstream name 'a' (also upstreams[0])",
                "upstreams[2].name: required; every upstream needs a non-empty name",
                "upstreams[3].name: required; every upstream needs a non-empty name");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                       | required; the upstream's OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1",
        "'localhost:8000/v1'      | must be an absolute http:// or https:// URL such as http://127.0.0.1:8000/v1",
        "'/v1'                    | must be an absolute http:// or https:// URL such as http://127.0.0.1:8000/v1",
        "'ftp://h/v1'             | must be an absolute http:// or https:// URL such as http://127.0.0.1:8000/v1",
        "'http://'                | not a valid URL; expected an absolute http:// or https:// URL such as "
                + "http://127.0.0.1:8000/v1",
        "'http://h h/v1'          | not a valid URL; expected an absolute http:// or https:// URL such as "
                + "http://127.0.0.1:8000/v1",
        "'http://h/v1?key=abc'    | must not contain a query or fragment (secrets in URLs are not allowed; use "
                + "api_key_env: NAME)",
    })
    void baseUrlMustBeAnAbsoluteHttpUrl(String url, String problem) {
        assertThat(problems("upstreams: [{name: a, base_url: \"" + url + "\"}]"))
                .containsExactly("upstreams[0].base_url: " + problem);
    }

    @Test
    void baseUrlIsRequired() {
        assertThat(problems("upstreams: [{name: a}]")).containsExactly(
                "upstreams[0].base_url: required; the upstream's OpenAI-compatible base URL, e.g. "
                        + "http://127.0.0.1:8000/v1");
    }

    @Test
    void upstreamLimitsMustBePositive() {
        assertThat(problems("upstreams: [{name: a, base_url: 'http://h/v1', connect_timeout_ms: 0, "
                + "idle_timeout_ms: -5, max_connections: 0}]")).containsExactly(
                "upstreams[0].connect_timeout_ms: must be at least 1",
                "upstreams[0].idle_timeout_ms: must be at least 1",
                "upstreams[0].max_connections: must be at least 1");
    }

    @Test
    void modelIdsMustBePresentAndUnique() {
        assertThat(problems(UPSTREAMS + """
                models:
                  - {id: m, routes: [{upstream: a}]}
                  - {id: m, routes: [{upstream: a}]}
                  - {routes: [{upstream: a}]}
                """)).containsExactly(
                "models[1].id: duplicate model id 'm' (also models[0])",
                "models[2].id: required; every model needs a non-empty id");
    }

    @Test
    void modelNeedsARoute() {
        assertThat(problems(UPSTREAMS + "models: [{id: m}, {id: n, routes: []}]")).containsExactly(
                "models[0].routes: at least one route is required",
                "models[1].routes: at least one route is required");
    }

    @Test
    void routeNamesMustBeUniqueWithinAModel() {
        assertThat(problems(model("""
                      - upstream: a
                      - upstream: a
                      - {name: x, upstream: a}
                      - {name: x, upstream: b}
                """))).containsExactly(
                "models[0].routes[1].name: duplicate route name 'a' (also models[0].routes[0]); route names default "
                        + "to the upstream name, so give each route to the same upstream its own name",
                "models[0].routes[3].name: duplicate route name 'x' (also models[0].routes[2]); route names default "
                        + "to the upstream name, so give each route to the same upstream its own name");
    }

    @Test
    void routeNamesMayRepeatAcrossModels() {
        VeilConfig config = ConfigLoader.parse(UPSTREAMS + """
                models:
                  - {id: m, routes: [{upstream: a}]}
                  - {id: n, routes: [{upstream: a}]}
                """, Map.of());
        assertThat(config.models()).hasSize(2);
    }

    @Test
    void routeUpstreamIsRequired() {
        assertThat(problems(model("      - {model: x}\n"))).containsExactly(
                "models[0].routes[0].upstream: required; the name of an upstream (known: a, b)");
    }

    @Test
    void routeWeightPricesAndPolicyAreChecked() {
        assertThat(problems(model("""
                      - upstream: a
                        weight: 0
                        price: {input_per_million: -1, output_per_million: -0.5}
                        policy: {retention_days: -1, tee: sgx}
                """))).containsExactly(
                "models[0].routes[0].weight: must be at least 1",
                "models[0].routes[0].price.input_per_million: must be a finite number of at least 0 (USD per million "
                        + "tokens)",
                "models[0].routes[0].price.output_per_million: must be a finite number of at least 0 (USD per "
                        + "million tokens)",
                "models[0].routes[0].policy.retention_days: must be at least 0 (0 = not retained)",
                "models[0].routes[0].policy.tee: must be one of none, sev-snp, tdx, simulated");
    }

    @Test
    void everyTeeWireNameIsAccepted() {
        for (String tee : List.of("none", "sev-snp", "tdx", "simulated")) {
            VeilConfig config = ConfigLoader.parse(model("      - {upstream: a, policy: {tee: " + tee + "}}\n"),
                    Map.of());
            assertThat(config.models().get(0).routes().get(0).policy().toDataPolicy().teeKind().wireName())
                    .isEqualTo(tee);
        }
    }

    @Test
    void allProblemsAreReportedTogether() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                server: {port: 70000}
                store: {pool_size: 0}
                models: [{id: m, routes: [{upstream: ghost}]}]
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("""
                        invalid configuration (3 problems):
                          server.port: must be between 0 and 65535 (0 picks a free port)
                          store.pool_size: must be at least 1
                          models[0].routes[0].upstream: unknown upstream 'ghost' (known: none)""");
    }

    @Test
    void clientTimeoutsAndLimitsAreValidated() {
        assertThat(problems(UPSTREAMS + """
                server: {request_header_timeout_ms: 0, request_body_timeout_ms: -1, idle_timeout_ms: -5,
                         max_request_line_bytes: 10, max_header_bytes: 10, send_timeout_ms: 5, body_memory_bytes: 1000}
                """)).containsExactly(
                "server.request_header_timeout_ms: must be at least 1",
                "server.request_body_timeout_ms: must be at least 1",
                "server.idle_timeout_ms: must be 0 (off) or more",
                "server.max_request_line_bytes: must be at least 256",
                "server.max_header_bytes: must be at least 1024",
                "server.body_memory_bytes: must be 0 (half the heap) or at least max_body_bytes (16777216): a body of "
                        + "the largest allowed size must fit",
                "server.send_timeout_ms: must be at least 100");
    }

    @Test
    void theClientIdleTimeoutMayNotCutAStreamBeforeItsUpstreamWould() {
        assertThat(problems("""
                server: {idle_timeout_ms: 60000}
                upstreams:
                  - {name: slow, base_url: "http://127.0.0.1:8000/v1", idle_timeout_ms: 120000}
                """)).containsExactly("server.idle_timeout_ms: must be at least every upstream's idle_timeout_ms "
                + "(upstream 'slow' waits 120000 ms), or a stream waiting for its first token is cut; raise it or "
                + "set 0 (off)");
        assertThat(ConfigLoader.parse("server: {idle_timeout_ms: 0}\n" + UPSTREAMS, Map.of()).server().idleTimeoutMs())
                .isZero();
        ServerConfig defaults = ConfigLoader.parse(UPSTREAMS, Map.of()).server();
        assertThat(defaults.requestHeaderTimeoutMs()).isEqualTo(10_000);
        assertThat(defaults.requestBodyTimeoutMs()).isEqualTo(60_000);
        assertThat(defaults.idleTimeoutMs()).isEqualTo(600_000);
    }
}
