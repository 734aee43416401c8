package dev.veil.client.proxy;

import dev.veil.client.VeilClient;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import dev.veil.http.InvalidRequests;
import dev.veil.http.StrictHttpTransport;
import io.vertx.core.http.PoolOptions;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The local e2ee proxy: a plain OpenAI API on localhost ({@code POST /v1/chat/completions}, {@code /v1/completions},
 * {@code /v1/embeddings}; {@code GET /v1/models[/{id}]}) that end-to-end encrypts every inference request to an
 * attested Veil node, so any OpenAI client gets e2ee by pointing its base URL at {@link #baseUrl()}.
 *
 * <p>For each request it reads the JSON body (up to 16 MiB, else 413), takes {@code model} and {@code stream} from it
 * (400 naming the parameter when they are missing or wrong), attests the model's node with the SDK (cached for the
 * attestation TTL; a worker pool does the blocking part, the event loop never blocks), seals the body, sends it to the
 * gateway with the configured API key, and relays the decrypted answer with the engine's status and content type:
 * streams event by event with backpressure, whole answers only after the final frame and the node's receipt verified.
 * An {@code e2ee_unknown_key} answer (rotated key) is retried once after a fresh attestation.
 *
 * <p>Errors before the answer began are OpenAI-shaped: attestation failures are 502 {@code attestation_error} with the
 * failure's code (e.g. {@code attestation_simulated_not_allowed}), protocol failures are 502 {@code e2ee_error} with
 * theirs (e.g. {@code e2ee_frame_rejected}), the gateway's own errors pass through with their status and error
 * object. A node the transparency log does not vouch for is 502 {@code transparency_error} with
 * {@code transparency_not_in_log}, {@code transparency_bad_tree_head} or {@code transparency_split_view}. After a
 * stream began, a failure ends it with a {@code data: {"error":{...}}} event and no {@code [DONE]}.
 * Responses carry {@code x-veil-e2ee}, {@code x-veil-node-key} and {@code x-veil-attestation} (the evidence format,
 * {@code simulated} for development nodes). Nothing here logs content.
 */
public final class E2eeProxy implements AutoCloseable {

    private static final int WORKERS = 16;
    /** Idle timeout of local client connections (reads and writes count): above the 5 min towards the gateway. */
    static final int CLIENT_IDLE_TIMEOUT_MS = 6 * 60_000;

    private final Vertx vertx;
    private final VeilClient client;
    private final HttpServer server;
    private final String host;

    private E2eeProxy(Vertx vertx, VeilClient client, HttpServer server, String host) {
        this.vertx = vertx;
        this.client = client;
        this.server = server;
        this.host = host;
    }

    /**
     * Starts the proxy and returns once it listens.
     *
     * @throws IllegalArgumentException when the gateway URL is not an http(s) URL
     * @throws IllegalStateException    when the tree head file cannot be read or holds a head that does not verify
     * @throws IOException              when it cannot listen on the host and port (e.g. the port is in use)
     */
    public static E2eeProxy start(ProxySettings settings) throws IOException {
        return start(settings, null);
    }

    /** As {@link #start(ProxySettings)} with a given evidence verifier (e.g. one that knows TDX collateral). */
    public static E2eeProxy start(ProxySettings settings, dev.veil.protocol.attestation.AttestationVerifier verifier)
            throws IOException {
        GatewayTarget target = GatewayTarget.parse(settings.gatewayUrl());
        VeilClient.Builder builder = VeilClient.builder()
                .verifier(verifier)
                .baseUrl(target.origin())
                .apiKey(settings.apiKey())
                .policy(settings.policy())
                .attestationTtl(settings.attestationTtl());
        if (settings.transparencyLogKey() != null) {
            builder.transparencyLogKey(settings.transparencyLogKey());
        }
        if (settings.treeHeadFile() != null) {
            builder.treeHeadFile(settings.treeHeadFile());
        }
        VeilClient client = builder.build();
        // The transport puts request-header (10 s) and request-body (60 s) timeouts on each accepted connection.
        Vertx vertx = Vertx.builder().withTransport(StrictHttpTransport.nio(10_000, 60_000, uri -> false)).build();
        try {
            WorkerExecutor workers = vertx.createSharedWorkerExecutor("veil-proxy-attest", WORKERS, 2, TimeUnit.MINUTES);
            HttpClient gateway = vertx.createHttpClient(new HttpClientOptions()
                            .setTcpNoDelay(true)
                            .setKeepAlive(true)
                            .setSsl(target.ssl())
                            .setConnectTimeout(10_000)
                            .setDecompressionSupported(false)
                            // The request idle timeout ends when the answer's head arrives; this one closes a gateway
                            // connection silent mid-answer too, as long as the proxy's request idle timeout.
                            .setReadIdleTimeout(ProxyHandler.IDLE_TIMEOUT_SECONDS),
                    new PoolOptions().setHttp1MaxSize(64));
            ProxyHandler handler = new ProxyHandler(client, workers, gateway, target, settings.apiKey());
            HttpServer server = vertx.createHttpServer(new HttpServerOptions()
                            .setHost(settings.host())
                            .setPort(settings.port())
                            .setTcpNoDelay(true)
                            // Counts reads and writes; above the 5 min idle timeout towards the gateway, so a slow
                            // first token ends as an error event from the proxy rather than a cut connection.
                            .setIdleTimeout(CLIENT_IDLE_TIMEOUT_MS)
                            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                            .setMaxInitialLineLength(8 * 1024)
                            .setMaxHeaderSize(16 * 1024))
                    .requestHandler(handler)
                    .invalidRequestHandler(new InvalidRequests("proxy", () -> "proxy_" + java.util.UUID.randomUUID()))
                    .listen()
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return new E2eeProxy(vertx, client, server, settings.host());
        } catch (ExecutionException | TimeoutException | InterruptedException | RuntimeException e) {
            vertx.close();
            client.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            throw new IOException("the proxy could not listen on " + settings.host() + ":" + settings.port() + " ("
                    + cause.getClass().getSimpleName() + ")", cause);
        }
    }

    /** The port it listens on (the chosen one when started with port 0). */
    public int port() {
        return server.actualPort();
    }

    /** The address it listens on. */
    public String host() {
        return host;
    }

    /** The OpenAI base URL for local clients, e.g. {@code http://127.0.0.1:8787/v1}. */
    public String baseUrl() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port() + "/v1";
    }

    /** Stops listening and releases everything. */
    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // best effort
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            client.close();
        }
    }
}
