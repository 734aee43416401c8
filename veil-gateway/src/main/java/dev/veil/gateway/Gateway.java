package dev.veil.gateway;

import com.fasterxml.jackson.core.JsonFactory;
import dev.veil.gateway.admin.AdminApi;
import dev.veil.gateway.audit.AuditApi;
import dev.veil.gateway.audit.AuditTrail;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.gateway.auth.KeyAuthenticator;
import dev.veil.gateway.batch.BatchApi;
import dev.veil.gateway.batch.Batches;
import dev.veil.gateway.batch.files.MasterKey;
import dev.veil.gateway.batch.runner.BatchRunner;
import dev.veil.gateway.config.StoreConfig;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.gateway.config.ServerConfig;
import dev.veil.gateway.anthropic.MessagesApi;
import dev.veil.gateway.anthropic.MessagesRelay;
import dev.veil.gateway.http.ApiServer;
import dev.veil.gateway.http.PrivacyApi;
import dev.veil.gateway.http.Replies;
import dev.veil.gateway.dashboard.DashboardAccess;
import dev.veil.gateway.dashboard.DashboardApi;
import dev.veil.gateway.dashboard.DashboardSessions;
import dev.veil.gateway.http.TransparencyApi;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.gateway.metering.RequestIds;
import dev.veil.gateway.metering.RequestMeter;
import dev.veil.gateway.http.NodeNetworkApi;
import dev.veil.gateway.nodes.NodeCredentials;
import dev.veil.gateway.nodes.NodeNetwork;
import dev.veil.gateway.transparency.LogEntries;
import dev.veil.gateway.transparency.LogKeyFile;
import dev.veil.gateway.transparency.TransparencyLog;
import dev.veil.http.InvalidRequests;
import dev.veil.http.MemoryBudget;
import dev.veil.http.StrictHttpTransport;
import dev.veil.gateway.metering.UsageReport;
import dev.veil.gateway.openai.ModelListWriter;
import dev.veil.gateway.openai.RequestInspector;
import dev.veil.gateway.openai.RequestRewriter;
import dev.veil.gateway.ops.GatewayMetrics;
import dev.veil.gateway.relay.InferenceRelay;
import dev.veil.gateway.relay.UpstreamClients;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.RouteHealth;
import dev.veil.gateway.routing.Upstream;
import dev.veil.gateway.nodes.NodeRegistry;
import dev.veil.gateway.config.AttestationConfig;
import dev.veil.gateway.config.ProviderAttestationConfig;
import dev.veil.gateway.providers.ProviderAttestations;
import dev.veil.protocol.attestation.dstack.DstackPolicy;
import dev.veil.protocol.attestation.dstack.DstackVerifier;
import dev.veil.protocol.attestation.nvidia.GpuVerifier;
import dev.veil.protocol.attestation.tdx.TdxPolicy;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.nvidia.GpuArchitecture;
import dev.veil.protocol.attestation.nvidia.GpuCollateral;
import dev.veil.protocol.attestation.nvidia.GpuPolicy;
import dev.veil.protocol.attestation.HardwareVerifiers;
import dev.veil.protocol.attestation.tdx.TdxCollateral;
import java.util.Set;
import dev.veil.gateway.config.RoutingConfig;
import dev.veil.gateway.limits.KeyLimits;
import dev.veil.gateway.limits.LocalRateLimiter;
import dev.veil.gateway.limits.SharedRateLimiter;
import dev.veil.gateway.auth.KeyChangeWatch;
import dev.veil.gateway.config.RedisConfig;
import dev.veil.gateway.ops.Readiness;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import dev.veil.gateway.metering.MetadataMinimisation;
import dev.veil.gateway.metering.PrivacyReceipt;
import dev.veil.gateway.policy.PolicyRefusal;
import dev.veil.gateway.policy.RoutePlanner;
import dev.veil.store.MeteringWriter;
import dev.veil.store.RetentionPurger;
import dev.veil.store.Store;
import dev.veil.store.StoreSettings;
import dev.veil.tokens.Tokenizer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the store, the metering writer, the Vert.x server (one instance per event loop, each with its
 * upstream connections on the same loop) and the retention job. Built from a validated configuration.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final Duration KEY_CACHE_TTL = Duration.ofSeconds(30);
    private static final Duration PURGE_INTERVAL = Duration.ofHours(1);
    /** How often a gateway takes in the transparency log entries other gateways on the same store appended. */
    private static final long TRANSPARENCY_SYNC_MS = 5_000;

    private final Vertx vertx;
    private final Store store;
    private final MeteringWriter metering;
    private final UpstreamClients clients;
    private final WorkerExecutor jdbc;
    private final ModelCatalog catalog;
    private final int port;
    private final String host;
    private final Batches batches;
    private final KeyLimits limits;
    private final String serverDeployment;
    private final long shutdownGraceMs;

    private Gateway(Vertx vertx, Store store, MeteringWriter metering, UpstreamClients clients, WorkerExecutor jdbc,
                    ModelCatalog catalog, String host, int port, Batches batches, KeyLimits limits,
                    String serverDeployment, long shutdownGraceMs) {
        this.serverDeployment = serverDeployment;
        this.shutdownGraceMs = shutdownGraceMs;
        this.batches = batches;
        this.limits = limits;
        this.vertx = vertx;
        this.store = store;
        this.metering = metering;
        this.clients = clients;
        this.jdbc = jdbc;
        this.catalog = catalog;
        this.host = host;
        this.port = port;
    }

    /**
     * Starts a gateway and returns once it listens.
     *
     * @param config a validated configuration
     * @param env    the environment, for upstream credentials and the admin token
     */
    public static Gateway start(VeilConfig config, Map<String, String> env) {
        Store store = Store.open(storeSettings(config.store(), env));
        Vertx vertx = null;
        try {
            // Up to 2,000 rows per transaction: at full load that cost the metering thread about 4.5 µs a request
            // against about 5.9 µs with 500-row transactions (docs/benchmarks.md). On SQLite a full batch holds the one
            // pooled connection for roughly 2,000 × 5 µs = 10 ms (estimated, not measured), which an API-key cache miss
            // may wait for.
            // The interval is also what an instance killed outright (kill -9, OOM) loses: the rows of requests
            // completed in about the last interval. Shorter costs more, smaller transactions (docs/deployment.md).
            MeteringWriter metering = new MeteringWriter(store, 100_000, 2_000,
                    Duration.ofMillis(config.store().meteringFlushMs()));
            ServerConfig server = config.server();
            // The transport puts the request-header and request-body timeouts on each client connection it accepts.
            // Uploads to /v1/files stream to disk and may be large: for them the body timeout bounds each pause.
            vertx = Vertx.builder().withTransport(StrictHttpTransport.nio(server.requestHeaderTimeoutMs(),
                    server.requestBodyTimeoutMs(), uri -> uri.startsWith("/v1/files"))).build();
            vertx.exceptionHandler(t -> LOG.error("unhandled failure on an event loop: {}", t.getClass().getName()));
            WorkerExecutor jdbc = vertx.createSharedWorkerExecutor("veil-jdbc", config.store().poolSize());
            ModelCatalog catalog = ModelCatalog.from(config, env);
            // Loading an encoding's vocabulary takes up to a few seconds: here, not on an event loop at the first
            // answer without usage. Only the encodings the routes use are loaded.
            catalog.models().stream().flatMap(m -> m.routes().stream()).map(Route::tokenizer).distinct()
                    .forEach(Tokenizer::preload);
            UpstreamClients clients = new UpstreamClients(vertx, catalog.upstreams().values());
            JsonFactory json = RequestInspector.strictFactory();
            JsonWriter jsonWriter = new JsonWriter(json);
            GatewayMetrics metrics = new GatewayMetrics();
            metrics.gauge("veil_metering_dropped", "Metering records dropped because the store could not keep up",
                    metering::droppedCount);
            SharedRateLimiter shared = sharedLimiter(vertx, config.redis(), env);
            if (shared != null) {
                metrics.gauge("veil_rate_limiter_unavailable", "Admissions decided by redis.fail_mode because Redis "
                        + "could not be reached", shared::failModeDecisions);
            }
            KeyLimits limits = shared == null ? new KeyLimits(store.ledger(), jdbc, Clock.systemUTC())
                    : new KeyLimits(store.ledger(), jdbc, Clock.systemUTC(), shared);
            MetadataMinimisation minimisation = new MetadataMinimisation(config.store().requestLogMode(),
                    config.store().retentionDays());
            RequestMeter meter = new RequestMeter(metrics, metering, limits, minimisation);
            RoutingConfig routing = config.routing();
            String adminTokenEnv = config.server().adminTokenEnv();
            AuditTrail audit = new AuditTrail(store.auditLog(), jdbc, Clock.systemUTC(), instanceId());
            // On the calling thread, before any event loop serves: start-up may block.
            audit.configLoaded(config, store.vendor(), config.server().adminToken(env).isPresent());
            TransparencyLog transparency = openTransparencyLog(store, Path.of(config.store().dataDir()));
            // Receipts are signed with the receipt key (on request, or every one), published in the log before the
            // first request is served.
            PrivacyReceipt receipts = new PrivacyReceipt(jsonWriter, minimisation,
                    receiptKey(Path.of(config.store().dataDir())), config.server().signsEveryReceipt());
            transparency.append(LogEntries.receiptKey(receipts.publicKey()));
            // Gateways sharing a store share its log: take in the others' entries every few seconds.
            vertx.setPeriodic(TRANSPARENCY_SYNC_MS, id -> jdbc.executeBlocking(() -> {
                transparency.sync();
                return null;
            }, false).onFailure(t -> LOG.warn("transparency log sync failed: {}", t.getClass().getName())));
            RouteHealth health = new RouteHealth(routing.breakerFailures(), routing.breakerOpenMs(), System::currentTimeMillis);
            RequestRewriter rewriter = new RequestRewriter(json);
            AttestationConfig attestation = config.attestation();
            NodeRegistry nodes = new NodeRegistry(vertx, clients,
                    catalog.upstreams().values().stream().filter(Upstream::node).toList(),
                    new AttestationPolicy(Set.copyOf(attestation.allowedFormats()), Set.copyOf(attestation.allowedMeasurements()),
                            attestation.allowSimulated(), attestation.minGpus()),
                    new AttestationVerifier(HardwareVerifiers.defaults(tdxCollateral(attestation)),
                            HardwareVerifiers.nvidiaGpus(gpuCollateral(attestation), gpuPolicy(attestation),
                                    Clock.systemUTC())),
                    attestation.reattestIntervalMs(),
                    (name, node) -> jdbc.executeBlocking(() -> transparency.append(LogEntries.node(name, node)), false)
                            .mapEmpty(), audit);
            // Request bodies and whole upstream answers held at once share half the heap (see MemoryBudget).
            MemoryBudget bodies = config.server().bodyMemoryBytes() > 0 ? MemoryBudget.of(config.server().bodyMemoryBytes())
                    : MemoryBudget.ofHeap(MemoryBudget.DEFAULT_HEAP_SHARE);
            InferenceRelay relay = new InferenceRelay(new InferenceRelay.Parts(clients, json, meter, rewriter, health,
                    routing, receipts,
                    config.server().forwardHeaders(), nodes, config.server().sendTimeoutMs(), bodies));
            KeyAuthenticator authenticator = new KeyAuthenticator(store.apiKeys(), jdbc, KEY_CACHE_TTL);
            KeyChangeWatch keyChanges = new KeyChangeWatch(vertx, store.apiKeys(), jdbc, authenticator);
            keyChanges.start();
            Readiness readiness = new Readiness(vertx, store, jdbc, shared == null ? null : shared::ping);
            readiness.start();
            // Hosted providers whose TEE claim is verified from their attestation reports (upstreams[].attestation).
            ProviderAttestations providers = providerAttestations(vertx, config, catalog, nodes);
            RoutePlanner planner = new RoutePlanner(catalog, health, providers == null ? nodes : providers);
            PolicyRefusal refusal = new PolicyRefusal();
            RequestInspector inspector = new RequestInspector(json, catalog.operatorAllowedFields());
            Optional<MasterKey> master = MasterKey.load(config.batch(), env);
            Batches batches = null;
            if (master.isPresent()) {
                batches = Batches.create(new BatchRunner.Parts(vertx, store, null, config.batch(), routing, catalog,
                        planner, refusal, limits, meter, inspector, rewriter, health, clients, json, Clock.systemUTC(),
                        config.batch().effectiveMaxLineBytes(config.server().maxBodyBytes())),
                        master.get(), Path.of(config.store().dataDir()), jdbc, jsonWriter);
            }
            if (batches == null) {
                LOG.warn("Files and Batches API disabled: no master key ({} unset, no batch.master_key_file); "
                        + "it answers 503 batch_disabled", config.batch().masterKeyEnv());
            }
            AdminApi admin = new AdminApi(Optional.ofNullable(env.get(adminTokenEnv)), adminTokenEnv, store.apiKeys(), jdbc,
                    authenticator, json);
            // Nodes that join by attestation (docs/network.md): registrations in the store, followed by every instance.
            NodeNetwork network = new NodeNetwork(vertx, jdbc, store.nodeNetwork(), nodes, catalog, clients,
                    nodeCredentials(Path.of(config.store().dataDir())), Clock.systemUTC(),
                    new NodeNetwork.OperatorActions() {
                        @Override
                        public void tokenIssued(String tokenId, java.util.List<String> models, String label) {
                            audit.joinTokenIssued(tokenId, models, label);
                        }

                        @Override
                        public void tokenRevoked(String tokenId) {
                            audit.joinTokenRevoked(tokenId);
                        }

                        @Override
                        public void nodeBanned(String registrationId, String tokenId) {
                            audit.nodeBanned(registrationId, tokenId);
                        }
                    });
            DashboardAccess access = new DashboardAccess(admin, authenticator,
                    new DashboardSessions(store.dashboardSessions(), jdbc, Clock.systemUTC()), store.apiKeys(), jdbc);
            BatchApi batchApi = new BatchApi(batches == null ? null : batches.apiParts(), access, meter, jsonWriter,
                    new ObjectMapper(json));
            UsageReport usageReport = new UsageReport(jsonWriter);
            DashboardApi dashboard = new DashboardApi(new DashboardApi.Parts(access, authenticator, store, jdbc, catalog,
                    health, nodes, limits, minimisation, usageReport, json, new Replies(meter), meter, Clock.systemUTC()));
            ApiServer api = new ApiServer(new ApiServer.Parts(catalog, authenticator, inspector, planner, refusal, limits,
                    relay, meter, new ModelListWriter(jsonWriter, route -> nodes.verified(route.upstream().name())
                            .map(v -> new ModelListWriter.NodeVerification(v,
                                    nodes.status(route.upstream().name()).lastVerifiedAt()))), usageReport, store.ledger(), admin,
                    metrics, jdbc, config.server().maxBodyBytes(), bodies, nodes, batchApi, readiness,
                    new TransparencyApi(transparency, jsonWriter, receipts.publicKey()),
                    new NodeNetworkApi(network, nodes, access, jsonWriter), new AuditApi(store.auditLog(), jdbc, jsonWriter),
                    new PrivacyApi(jsonWriter, config.store()), access, dashboard,
                    new MessagesApi(new MessagesApi.Parts(catalog, authenticator, inspector, planner, limits,
                            new MessagesRelay(new MessagesRelay.Parts(clients, json, meter, rewriter, health, routing,
                                    receipts, config.server().forwardHeaders(),
                                    config.server().sendTimeoutMs(), bodies)),
                            meter, config.server().maxBodyBytes(), bodies,
                            new dev.veil.gateway.http.E2eeForwarder(catalog, planner, relay)))));
            try {
                // Admit nodes before taking traffic, so the first requests find them; a node that is down is retried
                // on the schedule.
                nodes.start().await(20, TimeUnit.SECONDS);
                network.start().await(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.warn("first node attestation round did not finish in time: {}", e.getClass().getSimpleName());
            }
            if (providers != null) {
                try {
                    // Until a provider's report verifies, its routes count as unverified (downgraded or out).
                    providers.start().await(20, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.warn("first provider attestation round did not finish in time: {}", e.getClass().getSimpleName());
                }
            }

            String host = config.server().host();
            int port = config.server().port() == 0 ? freePort(host) : config.server().port();
            HttpServerOptions options = new HttpServerOptions()
                    .setHost(host)
                    .setPort(port)
                    .setTcpNoDelay(true)
                    .setCompressionSupported(false)
                    // Every response is written on its connection's event loop, so a connection needs no queue for
                    // writes from other threads: Vert.x then gives it none, where otherwise each connection carries
                    // a 1,025-slot queue (about 4.7 KB of heap; 23 MB at 5,000 open streams). A write from another
                    // thread fails with IllegalStateException instead of being queued.
                    .setStrictThreadMode(true)
                    // Counts reads and writes: a stream that is sending is never idle; see server.idle_timeout_ms.
                    .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, server.idleTimeoutMs()))
                    .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                    .setMaxInitialLineLength(server.maxRequestLineBytes())
                    .setMaxHeaderSize(server.maxHeaderBytes());
            int instances = Math.max(1, Runtime.getRuntime().availableProcessors());
            long shutdownGraceMs = server.shutdownGraceMs();
            String serverDeployment = vertx.deployVerticle(() -> new ServerVerticle(api, options, shutdownGraceMs),
                    new DeploymentOptions().setInstances(instances)).await(30, TimeUnit.SECONDS);

            Duration retention = Duration.ofDays(config.store().retentionDays());
            Runnable purge = () -> jdbc.executeBlocking(() -> store.exclusiveJobs().runAlone("retention-purge",
                    () -> RetentionPurger.purge(store, retention, Clock.systemUTC())).orElse(0), false)
                    .onFailure(t -> LOG.warn("retention purge failed: {}", t.getClass().getName()));
            int auditDays = config.store().auditRetentionDays();
            Runnable auditPurge = () -> {
                if (auditDays > 0) {
                    audit.purge(Duration.ofDays(auditDays))
                            .onFailure(t -> LOG.warn("audit log purge failed: {}", t.getClass().getName()));
                }
            };
            purge.run();
            auditPurge.run();
            vertx.setPeriodic(PURGE_INTERVAL.toMillis(), id -> {
                purge.run();
                auditPurge.run();
            });
            if (batches != null) {
                batches.start(vertx, jdbc);
            }
            LOG.info("Veil gateway listening on http://{}:{} with {} model(s)", host, port, catalog.models().size());
            return new Gateway(vertx, store, metering, clients, jdbc, catalog, host, port, batches, limits,
                    serverDeployment, shutdownGraceMs);
        } catch (RuntimeException e) {
            if (vertx != null) {
                vertx.close();
            }
            store.close();
            throw e;
        } catch (Exception e) {
            if (vertx != null) {
                vertx.close();
            }
            store.close();
            throw new IllegalStateException("the gateway failed to start: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
        }
    }

    /**
     * Opens the transparency log from the store with its key from the data directory (made on first start). Blocking:
     * start-up only.
     */
    private static TransparencyLog openTransparencyLog(Store store, Path dataDir) {
        try {
            return TransparencyLog.open(store.transparencyLog(), LogKeyFile.loadOrCreate(dataDir.resolve(LogKeyFile.NAME)),
                    Clock.systemUTC());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the transparency log key could not be read or made in " + dataDir + ": "
                    + e.getMessage(), e);
        }
    }

    /** The receipt key from the data directory (made on first start). Blocking: start-up only. */
    private static dev.veil.protocol.e2ee.SigningKey receiptKey(Path dataDir) {
        try {
            return dev.veil.gateway.metering.ReceiptKeyFile.loadOrCreate(
                    dataDir.resolve(dev.veil.gateway.metering.ReceiptKeyFile.NAME));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the gateway receipt key could not be read or made in " + dataDir + ": "
                    + e.getMessage(), e);
        }
    }

    /** A random id for this gateway run, naming it in the audit log (several instances may share one store). */
    private static String instanceId() {
        byte[] random = new byte[6];
        new java.security.SecureRandom().nextBytes(random);
        return "gw_" + java.util.HexFormat.of().formatHex(random);
    }

    /** The port the gateway listens on. */
    public int port() {
        return port;
    }

    /** The address the gateway listens on. */
    public String host() {
        return host;
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8080/v1}. */
    public String baseUrl() {
        return "http://" + host + ":" + port + "/v1";
    }

    /** The metadata store. */
    public Store store() {
        return store;
    }

    /** The models this gateway serves. */
    public ModelCatalog catalog() {
        return catalog;
    }

    /** Blocks until every metering record handed over so far is in the store. */
    public void flushMetering() {
        metering.flush();
    }

    /** Whether the Files and Batches API is on (a master key was given). */
    public boolean batchesEnabled() {
        return batches != null;
    }

    /** Runs one batch sweep now (blocking): expired files and records are deleted. For tests and operations. */
    public int sweepBatches() {
        if (batches == null) {
            throw new IllegalStateException("the batch API is disabled");
        }
        return batches.sweep();
    }

    @Override
    public void close() {
        // Stop taking connections first and let the requests and streams in flight finish (server.shutdown_grace_ms):
        // everything they need (upstream clients, limits, metering) is still running meanwhile.
        try {
            vertx.undeploy(serverDeployment).await(shutdownGraceMs + 5_000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.warn("the listeners did not stop within the shutdown grace: {}", e.getClass().getName());
        }
        if (batches != null) {
            batches.close();
        }
        limits.close();
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("event loops did not stop cleanly: {}", e.getClass().getName());
        }
        clients.close();
        jdbc.close();
        metering.close();
        store.close();
    }

    /** The store settings a configuration names; credentials come from {@code env}. */
    public static StoreSettings storeSettings(StoreConfig config, Map<String, String> env) {
        if (config.jdbcUrl() == null) {
            return StoreSettings.sqlite(Path.of(config.dataDir()).resolve("veil.db"));
        }
        String user = config.usernameEnv() == null ? null : env.get(config.usernameEnv());
        String password = config.passwordEnv() == null ? null : env.get(config.passwordEnv());
        return new StoreSettings(config.jdbcUrl(), user, password, config.poolSize());
    }

    /** The Redis-backed limiter when {@code redis.url} is set, else {@code null} (limits in this process's memory). */
    private static SharedRateLimiter sharedLimiter(Vertx vertx, RedisConfig redis, Map<String, String> env) {
        if (!redis.enabled()) {
            return null;
        }
        RedisOptions options = new RedisOptions()
                .setConnectionString(redis.url())
                .setMaxPoolSize(redis.poolSize())
                // Bounded: past this many waiting commands a call fails at once (and the fail mode applies).
                .setMaxPoolWaiting(redis.poolSize() * 64)
                .setMaxWaitingHandlers(redis.poolSize() * 256)
                .setNetClientOptions(redisNetOptions(redis));
        redis.password(env).ifPresent(options::setPassword);
        redis.username(env).ifPresent(options::setUser);
        LOG.info("rate and concurrency limits shared through Redis ({} when it cannot be reached)", redis.failMode());
        return new SharedRateLimiter(vertx, Redis.createClient(vertx, options), redis.timeoutMs(),
                SharedRateLimiter.FailMode.fromWireName(redis.failMode()), new LocalRateLimiter(Clock.systemUTC()));
    }

    /**
     * TCP options for Redis. {@code rediss://} turns TLS on (the client wants both the scheme and the option), with the
     * server's certificate checked against the JVM's trusted authorities (or {@code redis.tls_ca_file}'s) and its host
     * name.
     */
    private static NetClientOptions redisNetOptions(RedisConfig redis) {
        NetClientOptions options = new NetClientOptions()
                .setConnectTimeout((int) Math.max(100, redis.timeoutMs()))
                .setTcpNoDelay(true);
        if (redis.tls()) {
            options.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
            if (redis.tlsCaFile() != null) {
                options.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(redis.tlsCaFile()));
            }
        }
        return options;
    }

    /** The attested providers of {@code config}, or null when no upstream has {@code attestation}. */
    private static ProviderAttestations providerAttestations(Vertx vertx, VeilConfig config, ModelCatalog catalog,
                                                             NodeRegistry nodes) {
        java.util.List<ProviderAttestations.Target> targets = new java.util.ArrayList<>();
        AttestationConfig attestation = config.attestation();
        GpuPolicy gpu = gpuPolicy(attestation);
        for (dev.veil.gateway.config.UpstreamConfig u : config.upstreams()) {
            ProviderAttestationConfig a = u.attestation();
            if (a == null) {
                continue;
            }
            TdxPolicy tdx = a.allowedMeasurements().isEmpty() ? TdxPolicy.DEFAULT
                    : TdxPolicy.DEFAULT.withAllowedMrTd(a.allowedMeasurements().toArray(String[]::new));
            DstackPolicy policy = DstackPolicy.DEFAULT.withTdx(tdx).withGpu(gpu).withMinGpus(a.minGpus())
                    .withAllowedComposeHashes(Set.copyOf(a.allowedComposeHashes()));
            String base = u.baseUrl().endsWith("/") ? u.baseUrl().substring(0, u.baseUrl().length() - 1) : u.baseUrl();
            java.net.URI url = java.net.URI.create(a.url() != null ? a.url() : base + "/attestation/report");
            targets.add(new ProviderAttestations.Target(catalog.upstreams().get(u.name()), a, url, policy));
        }
        if (targets.isEmpty()) {
            return null;
        }
        if (attestation.tdxCollateralDir() == null) {
            LOG.warn("upstreams with attestation: no attestation.tdx_collateral_dir, so their TDX quotes cannot be"
                    + " verified and their routes are served without their TEE claim (or not at all)");
        }
        DstackVerifier verifier = new DstackVerifier(tdxCollateral(attestation), new GpuVerifier(),
                gpuCollateral(attestation));
        return new ProviderAttestations(vertx, targets, verifier, ProviderAttestations.randomNonces(),
                Clock.systemUTC(), nodes);
    }

    private static TdxCollateral tdxCollateral(AttestationConfig attestation) {
        if (attestation.tdxCollateralDir() == null) {
            return null;
        }
        try {
            return TdxCollateral.load(Path.of(attestation.tdxCollateralDir()));
        } catch (Exception e) {
            throw new IllegalStateException("attestation.tdx_collateral_dir: the Intel collateral could not be read ("
                    + e.getMessage() + "); see docs/attestation.md for the files it needs", e);
        }
    }

    private static NodeCredentials nodeCredentials(Path dataDir) {
        try {
            return NodeCredentials.load(dataDir);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the node credential key could not be read or made in " + dataDir + ": "
                    + e.getMessage(), e);
        }
    }

    private static GpuCollateral gpuCollateral(AttestationConfig attestation) {
        if (attestation.gpuCollateralDir() == null) {
            return GpuCollateral.none();
        }
        try {
            return GpuCollateral.load(Path.of(attestation.gpuCollateralDir()));
        } catch (Exception e) {
            throw new IllegalStateException("attestation.gpu_collateral_dir: the NVIDIA collateral could not be read ("
                    + e.getMessage() + "); see docs/attestation.md for the files it needs", e);
        }
    }

    /**
     * NVIDIA's default GPU policy (RIMs and OCSP required) narrowed to the configured architectures and minimum
     * versions.
     */
    private static GpuPolicy gpuPolicy(AttestationConfig attestation) {
        GpuPolicy policy = GpuPolicy.DEFAULT;
        if (!attestation.allowedGpuArchitectures().isEmpty()) {
            java.util.EnumSet<GpuArchitecture> allowed = java.util.EnumSet.noneOf(GpuArchitecture.class);
            attestation.allowedGpuArchitectures().forEach(a -> allowed.add(GpuArchitecture.parse(a)));
            policy = new GpuPolicy(allowed, policy.requireRims(), policy.acceptUncheckedRevocation(), policy.ocspMaxAge());
        }
        return policy.withMinimumVersions(attestation.minGpuDriverVersion(), attestation.minGpuVbiosVersion());
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
        private final ApiServer api;
        private final HttpServerOptions options;
        private final long shutdownGraceMs;
        private HttpServer server;

        ServerVerticle(ApiServer api, HttpServerOptions options, long shutdownGraceMs) {
            this.api = api;
            this.options = options;
            this.shutdownGraceMs = shutdownGraceMs;
        }

        @Override
        public Future<HttpServer> start() {
            return vertx.createHttpServer(options).requestHandler(api)
                    .invalidRequestHandler(new InvalidRequests("gateway", RequestIds::next)).listen()
                    .onSuccess(listening -> server = listening);
        }

        /**
         * Graceful: no new connections; an HTTP/1 connection closes once its current request is answered (a stream
         * once it has ended), HTTP/2 ones get GOAWAY; whatever is still open after the grace is closed.
         */
        @Override
        public Future<?> stop() {
            return server == null ? Future.succeededFuture() : server.shutdown(shutdownGraceMs, TimeUnit.MILLISECONDS);
        }
    }
}
