package dev.veil.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil nodes list|ban|tokens}: the operator's view of a running gateway's nodes and join tokens, through its
 * admin API (the node list is the gateway's live state: which nodes are admitted and what their evidence verified).
 */
@Command(name = "nodes", mixinStandardHelpOptions = true,
        description = "List and ban a gateway's nodes; issue, list and revoke join tokens (docs/network.md).",
        subcommands = {NodesCommand.ListNodes.class, NodesCommand.Ban.class, NodesCommand.Tokens.class})
final class NodesCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("Usage: veil nodes list | ban <id> | tokens create|list|revoke (see veil nodes --help)");
    }

    /** Where the gateway is and how to reach its admin API. */
    static final class Gateway {
        @Option(names = "--gateway", defaultValue = "http://127.0.0.1:8080", paramLabel = "<url>",
                description = "The gateway's URL (default: ${DEFAULT-VALUE}).")
        URI url;

        @Option(names = "--admin-token-env", defaultValue = "VEIL_ADMIN_TOKEN", paramLabel = "<NAME>",
                description = "Environment variable holding the gateway's admin token (default: ${DEFAULT-VALUE}).")
        String adminTokenEnv;

        private static final ObjectMapper JSON = new ObjectMapper();
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

        /** Calls the admin API and prints the JSON answer; the exit status follows the HTTP status. */
        int call(String method, String path, JsonNode body, PrintStream out, PrintStream err) {
            String token = System.getenv(adminTokenEnv);
            if (token == null || token.isBlank()) {
                err.println("veil: set " + adminTokenEnv + " to the gateway's admin token (or name another variable with"
                        + " --admin-token-env).");
                return 2;
            }
            try {
                HttpRequest.Builder request = HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofSeconds(30))
                        .header("authorization", "Bearer " + token.trim()).header("content-type", "application/json")
                        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
                HttpResponse<String> answer = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
                JsonNode json;
                try {
                    json = JSON.readTree(answer.body());
                } catch (IOException e) {
                    json = null;
                }
                if (answer.statusCode() / 100 != 2) {
                    err.println("veil: the gateway answered " + answer.statusCode()
                            + (json == null ? "" : ": " + json.path("error").path("message").asText("")));
                    return 1;
                }
                out.println(json == null ? answer.body() : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json));
                return 0;
            } catch (IOException e) {
                err.println("veil: the gateway at " + url + " could not be reached (" + e.getClass().getSimpleName() + ")");
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 1;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Configured and joined nodes with their verified identity, models, last attestation and state.")
    static final class ListNodes implements Callable<Integer> {
        @Mixin
        Gateway gateway;

        @Override
        public Integer call() {
            return gateway.call("GET", "/v1/admin/nodes", null, System.out, System.err);
        }
    }

    @Command(name = "ban", mixinStandardHelpOptions = true,
            description = "Remove a joined node at once and revoke the join token it used.")
    static final class Ban implements Callable<Integer> {
        @Mixin
        Gateway gateway;

        @Parameters(index = "0", paramLabel = "<registration id>", description = "The node's id (nr_...), from veil nodes list.")
        String id;

        @Override
        public Integer call() {
            return gateway.call("POST", "/v1/admin/nodes/" + id + "/ban", null, System.out, System.err);
        }
    }

    @Command(name = "tokens", mixinStandardHelpOptions = true, description = "Issue, list and revoke join tokens.",
            subcommands = {Tokens.Create.class, Tokens.ListTokens.class, Tokens.Revoke.class})
    static final class Tokens implements Runnable {
        @Override
        public void run() {
            System.out.println("Usage: veil nodes tokens create --model <id>... | list | revoke <id>");
        }

        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Issue a join token for the given models; the token is printed once.")
        static final class Create implements Callable<Integer> {
            @Mixin
            Gateway gateway;

            @Option(names = "--model", required = true, paramLabel = "<id>",
                    description = "A public model id a node joining with the token may serve; repeatable.")
            List<String> models;

            @Option(names = "--label", paramLabel = "<text>", description = "Your name for the token.")
            String label;

            @Option(names = "--ttl-hours", paramLabel = "<n>", description = "How long it admits joins (default 168).")
            Long ttlHours;

            @Override
            public Integer call() {
                ObjectNode body = new ObjectMapper().createObjectNode();
                models.forEach(body.putArray("models")::add);
                if (label != null) {
                    body.put("label", label);
                }
                if (ttlHours != null) {
                    body.put("ttl_hours", ttlHours);
                }
                return gateway.call("POST", "/v1/admin/join-tokens", body, System.out, System.err);
            }
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "Every join token (never the token).")
        static final class ListTokens implements Callable<Integer> {
            @Mixin
            Gateway gateway;

            @Override
            public Integer call() {
                return gateway.call("GET", "/v1/admin/join-tokens", null, System.out, System.err);
            }
        }

        @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a join token.")
        static final class Revoke implements Callable<Integer> {
            @Mixin
            Gateway gateway;

            @Parameters(index = "0", paramLabel = "<id>", description = "The token's id (jt_...).")
            String id;

            @Override
            public Integer call() {
                return gateway.call("DELETE", "/v1/admin/join-tokens/" + id, null, System.out, System.err);
            }
        }
    }
}
