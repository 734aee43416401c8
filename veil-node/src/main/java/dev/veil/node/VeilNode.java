package dev.veil.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.protocol.e2ee.SigningKey;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import dev.veil.http.InvalidRequests;
import dev.veil.http.StrictHttpTransport;
import dev.veil.tokens.Tokenizer;
import io.vertx.core.http.PoolOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.time.Clock;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Veil node: the enclave side of e2ee (docs/e2ee.md). At start it makes its HPKE key and Ed25519 signing
 * key in memory only, attests them at {@code GET /v1/attestation}, decrypts e2ee requests, runs them through the local
 * OpenAI-compatible engine, and seals the answers back with a signed receipt. The HPKE key rotates every
 * {@link NodeSettings#rotation()} and whenever its replay set fills; a rotated-out key keeps decrypting for
 * {@link NodeSettings#rotationGrace()}. The signing key does not rotate.
 *
 * <p>Embeddable: the gateway's demo and tests start a node in their own JVM with {@link #start(NodeSettings)}.
 */
public final class VeilNode implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VeilNode.class);
    /** Concurrent requests to the engine; local engines batch hundreds of sequences. */
    private static final int ENGINE_MAX_CONNECTIONS = 256;
    /** How often rotated-out keys past their grace are freed (they are refused on time regardless). */
    private static final long MAX_SWEEP_MS = 60_000;

    private final Vertx vertx;
    private final KeyRing keys;
    private final EvidenceSource evidence;
    private final Duration grace;
    private final String host;
    private final int port;

    private final GatewayCredentials gateways;
    private final NodeSettings settings;
    private final GatewayJoin joins = new GatewayJoin();
    private final java.util.List<GatewayJoin.Registration> registrations = new java.util.concurrent.CopyOnWriteArrayList<>();

    private VeilNode(Vertx vertx, KeyRing keys, EvidenceSource evidence, Duration grace, String host, int port,
                     GatewayCredentials gateways, NodeSettings settings) {
        this.gateways = gateways;
        this.settings = settings;
        this.vertx = vertx;
        this.keys = keys;
        this.evidence = evidence;
        this.grace = grace;
        this.host = host;
        this.port = port;
    }

    /** Idle timeout of the gateway's connections to this node: longer than the engine relay's (10 min). */
    static final long CLIENT_IDLE_TIMEOUT_MS = 11 * 60_000;
    /** Time a connection has to deliver a request's complete headers. */
    static final long REQUEST_HEADER_TIMEOUT_MS = 10_000;
    /** Time a request's whole body has to arrive once its headers are in. */
    static final long REQUEST_BODY_TIMEOUT_MS = 60_000;
    /** Longest request line accepted. */
    static final int MAX_REQUEST_LINE_BYTES = 8 * 1024;
    /** Largest request header block accepted. */
    static final int MAX_HEADER_BYTES = 16 * 1024;

    /** Starts a node with simulated attestation (no hardware TEE) and returns once it listens. */
    public static VeilNode start(NodeSettings settings) {
        return start(settings, new SimulatedEvidenceSource(settings.softwareIdentity()));
    }

    /**
     * Starts a node with the given evidence source and returns once it listens.
     *
     * @throws IllegalArgumentException when the engine URL is not loopback and remote engines are not allowed
     * @throws IllegalStateException    when the server cannot listen
     */
    public static VeilNode start(NodeSettings settings, EvidenceSource evidence) {
        return start(settings, evidence, GpuEvidenceSource.NONE);
    }

    /**
     * Starts a node whose evidence carries its CPU report from {@code evidence} and one report per GPU from
     * {@code gpus}, bound together (docs/e2ee.md §3.2), and returns once it listens.
     */
    public static VeilNode start(NodeSettings settings, EvidenceSource evidence, GpuEvidenceSource gpus) {
        EngineAddress engine = EngineAddress.parse(settings.engineBaseUrl(), settings.allowRemoteEngine());
        if (settings.allowRemoteEngine() && !EngineAddress.isLoopback(engine.host())) {
            LOG.warn("the engine at {} is not on this host: decrypted requests leave the node in {}", engine.host(),
                    engine.ssl() ? "TLS" : "CLEAR TEXT");
        }
        // The transport puts request-header (10 s) and request-body (60 s) timeouts on each accepted connection.
        Vertx vertx = Vertx.builder().withTransport(StrictHttpTransport.nio(REQUEST_HEADER_TIMEOUT_MS,
                REQUEST_BODY_TIMEOUT_MS, uri -> false)).build();
        try {
            vertx.exceptionHandler(t -> LOG.error("unhandled failure on an event loop: {}", t.getClass().getName()));
            SigningKey signingKey = SigningKey.generate();
            KeyRing keys = new KeyRing(new SecureRandom().nextInt(256), settings.replayCapacity(),
                    settings.rotationGrace(), System::nanoTime);
            HttpClient client = vertx.createHttpClient(new HttpClientOptions()
                            .setTcpNoDelay(true)
                            .setKeepAlive(true)
                            .setSsl(engine.ssl())
                            .setDecompressionSupported(false)
                            // The request idle timeout ends when the answer's head arrives; this one closes an engine
                            // connection silent mid-answer too (also while the reader holds a stream back that long).
                            .setReadIdleTimeout((int) TimeUnit.MILLISECONDS.toSeconds(EngineRelay.IDLE_TIMEOUT_MS)),
                    new PoolOptions().setHttp1MaxSize(ENGINE_MAX_CONNECTIONS));
            ObjectMapper json = new ObjectMapper();
            // An engine that reports no usage is counted by the node: load the encodings its models use now, not on
            // an event loop at the first such answer (none for models that are not OpenAI's).
            settings.models().values().stream().map(Tokenizer::forModel).distinct().forEach(Tokenizer::preload);
            // What the node declares is signed into every attestation answer and checked against each request's policy.
            GatewayCredentials gateways = new GatewayCredentials(settings.gatewayToken());
            // A node with GPUs declares how many, signed, so no verifier accepts it with fewer attested.
            NodeDeclaration declared = gpus.count() > 0 ? settings.declaration().withGpus(gpus.count())
                    : settings.declaration();
            EngineRelay relay = new EngineRelay(client, engine, signingKey, json, Clock.systemUTC(),
                    settings.declaration().target(evidence.format()), settings.engineApis());
            Duration grace = settings.rotationGrace();
            Runnable scheduleSweep = () -> scheduleSweep(vertx, keys, grace);
            NodeServer handler = new NodeServer(vertx, keys, scheduleSweep, signingKey, evidence, gpus, settings.models(), relay,
                    json, settings.maxBodyBytes(), declared.sign(signingKey), gateways);

            String host = settings.host();
            int port = settings.port() == 0 ? freePort(host) : settings.port();
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(host)
                    .setPort(port)
                    .setTcpNoDelay(true)
                    .setCompressionSupported(false)
                    // Responses are written on their connection's event loop only, so no connection needs Vert.x's
                    // queue for writes from other threads (about 4.7 KB of heap per connection); see the gateway.
                    .setStrictThreadMode(true)
                    // Counts reads and writes; above the engine relay's own idle timeout, so a slow first token from
                    // the engine ends as an e2ee error event rather than a cut connection.
                    .setIdleTimeout((int) CLIENT_IDLE_TIMEOUT_MS)
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                    .setMaxInitialLineLength(MAX_REQUEST_LINE_BYTES)
                    .setMaxHeaderSize(MAX_HEADER_BYTES);
            int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
            vertx.deployVerticle(() -> new ServerVerticle(handler, options), new DeploymentOptions().setInstances(instances))
                    .await(30, TimeUnit.SECONDS);

            VeilNode node = new VeilNode(vertx, keys, evidence, grace, host, port, gateways, settings);
            vertx.setPeriodic(settings.rotation().toMillis(), id -> node.rotateNow());
            LOG.info("Veil node listening on http://{}:{} with {} model(s); node key {}; attestation format {}{}; {}",
                    host, port, settings.models().size(), keys.current().nodeKeyId(), evidence.format(),
                    "simulated".equals(evidence.format()) ? " (SIMULATED: no hardware TEE)" : "", gpus.describe());
            return node;
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("the node failed to start: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
        }
    }

    /** The port the node listens on. */
    public int port() {
        return port;
    }

    /** The node's URL, e.g. {@code http://127.0.0.1:9000} (its paths start with {@code /v1}). */
    public String baseUrl() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "http://" + h + ":" + port;
    }

    /**
     * Joins a gateway with the operator's join token (docs/network.md): from this call on the node answers only callers
     * with a gateway credential; the gateway then attests it with its own nonce and routes its models to it once the
     * evidence verifies. Blocking.
     *
     * @param advertisedUrl where the gateway reaches this node (its origin, e.g. {@code https://node.example:9000})
     * @param name          the node's name in the gateway's node list
     * @return the registration id
     * @throws IllegalStateException when the gateway refuses or cannot be reached, naming why
     */
    public String join(URI gateway, String joinToken, String advertisedUrl, String name) {
        gateways.require();
        GatewayJoin.Registration registration = joins.join(gateway, joinToken, advertisedUrl, name,
                settings.models().keySet());
        gateways.accept(registration.credential());
        registrations.add(registration);
        LOG.info("joined {} as {}; the gateway attests this node before it routes to it", gateway, registration.id());
        return registration.id();
    }

    /** The node key id of the current HPKE key, the one attested. */
    public String currentNodeKeyId() {
        return keys.current().nodeKeyId();
    }

    /** The attestation format this node serves, e.g. {@code simulated}. */
    public String attestationFormat() {
        return evidence.format();
    }

    /** Rotates the HPKE key now; the previous key keeps decrypting for the grace period, then is dropped. */
    public void rotateNow() {
        NodeKey previous = keys.current();
        NodeKey next = keys.rotate();
        LOG.info("rotated node key {} to {}", previous.nodeKeyId(), next.nodeKeyId());
        scheduleSweep(vertx, keys, grace);
    }

    @Override
    public void close() {
        // Graceful shutdown deregisters, so gateways drain the node now rather than at their next attestation.
        for (GatewayJoin.Registration registration : registrations) {
            if (!joins.leave(registration)) {
                LOG.warn("could not tell {} that this node leaves; it drops the node when attestation fails",
                        registration.gateway());
            }
        }
        registrations.clear();
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("event loops did not stop cleanly: {}", e.getClass().getName());
        }
    }

    /** Frees the retired key's memory (and replay set) once its grace is over. */
    private static void scheduleSweep(Vertx vertx, KeyRing keys, Duration grace) {
        long delay = Math.max(1, Math.min(MAX_SWEEP_MS, grace.toMillis() + 1));
        vertx.setTimer(delay, id -> {
            keys.purgeExpired();
            if (keys.size() > 1) {
                scheduleSweep(vertx, keys, grace);
            }
        });
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host, e);
        }
    }

    /** One server instance on one event loop; Vert.x balances connections across the instances. */
    private static final class ServerVerticle extends VerticleBase {
        private final NodeServer handler;
        private final HttpServerOptions options;

        ServerVerticle(NodeServer handler, HttpServerOptions options) {
            this.handler = handler;
            this.options = options;
        }

        @Override
        public Future<HttpServer> start() {
            return vertx.createHttpServer(options).requestHandler(handler)
                    .invalidRequestHandler(new InvalidRequests("node", NodeExchange::newRequestId)).listen();
        }
    }
}
