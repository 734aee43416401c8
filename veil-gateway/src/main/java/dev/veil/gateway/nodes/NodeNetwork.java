package dev.veil.gateway.nodes;

import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.openai.InvalidRequestException;
import dev.veil.gateway.relay.UpstreamClients;
import dev.veil.gateway.routing.ModelCatalog;
import dev.veil.gateway.routing.Price;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.OpenAiError;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.attestation.NodeDeclaration;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import dev.veil.protocol.policy.ForwardRules;
import dev.veil.store.JoinTokenRecord;
import dev.veil.store.NodeNetworkRepository;
import dev.veil.store.NodeRegistrationRecord;
import dev.veil.tokens.Tokenizer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Nodes that join by attestation (docs/network.md): a node presents a join token the operator issued; the gateway
 * records a registration, hands the node the credential bound to it ({@link NodeCredentials}), verifies the node's
 * evidence with its own fresh nonce through {@link NodeRegistry} and only then routes the token's models to it. A
 * node that leaves (it deregisters), is banned, or fails attestation {@value #LOST_AFTER_FAILURES} times in a row is
 * removed. Registrations live in the store, so every gateway on it follows them within {@value #SYNC_MS} ms.
 */
public final class NodeNetwork implements AutoCloseable {

    /** How often each gateway reads the registrations (joins and leaves made through another instance). */
    public static final long SYNC_MS = 5_000;
    /** Attestations failed in a row after which a joined node is taken out for good (it must join again). */
    public static final int LOST_AFTER_FAILURES = 3;
    /** A node's first attestation is retried this often until it is admitted or lost (it installs its credential). */
    static final long FIRST_ATTEST_RETRY_MS = 1_000;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Logger LOG = LoggerFactory.getLogger(NodeNetwork.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final WorkerExecutor jdbc;
    private final NodeNetworkRepository store;
    private final NodeRegistry registry;
    private final ModelCatalog catalog;
    private final UpstreamClients clients;
    private final NodeCredentials credentials;
    private final Clock clock;
    private final OperatorActions actions;
    /** Joined nodes this gateway follows, by registration id. */
    private final Map<String, NodeRegistrationRecord> joined = new ConcurrentHashMap<>();
    /** Why this gateway took a joined node out (its last attestation failure), for the node list. */
    private final Map<String, String> endReasons = new ConcurrentHashMap<>();
    private long timer = -1;

    public NodeNetwork(Vertx vertx, WorkerExecutor jdbc, NodeNetworkRepository store, NodeRegistry registry,
                       ModelCatalog catalog, UpstreamClients clients, NodeCredentials credentials, Clock clock,
                       OperatorActions actions) {
        this.actions = actions;
        this.vertx = vertx;
        this.jdbc = jdbc;
        this.store = store;
        this.registry = registry;
        this.catalog = catalog;
        this.clients = clients;
        this.credentials = credentials;
        this.clock = clock;
    }

    /** What the operator did to the node network, for the audit log. */
    public interface OperatorActions {
        OperatorActions NONE = new OperatorActions() {
        };

        default void tokenIssued(String tokenId, List<String> models, String label) {
        }

        default void tokenRevoked(String tokenId) {
        }

        default void nodeBanned(String registrationId, String tokenId) {
        }
    }

    /** What a node asks to join with. */
    public record JoinRequest(String url, String name, List<String> models) {
    }

    /** A registration made: its id and the credential the node must accept from this gateway (shown once). */
    public record Joined(NodeRegistrationRecord registration, String credential) {
    }

    /** Follows the registrations in the store now and every {@value #SYNC_MS} ms. */
    public Future<Void> start() {
        timer = vertx.setPeriodic(SYNC_MS, id -> sync());
        return sync();
    }

    /** Issues a join token for {@code models} (each must be a model this gateway knows or a new id). */
    public Future<JoinTokens.Issued> issueToken(String label, List<String> models, Duration ttl) {
        JoinTokens.Issued issued = JoinTokens.issue(label, models, ttl, clock.instant());
        return jdbc.executeBlocking(() -> {
            store.insertToken(issued.record());
            return issued;
        }, false).onSuccess(i -> actions.tokenIssued(i.record().id(), i.record().models(), i.record().label()));
    }

    public Future<List<JoinTokenRecord>> tokens() {
        return jdbc.executeBlocking(store::tokens, false);
    }

    public Future<Boolean> revokeToken(String id) {
        return jdbc.executeBlocking(() -> store.revokeToken(id, clock.instant()), false).onSuccess(revoked -> {
            if (revoked) {
                actions.tokenRevoked(id);
            }
        });
    }

    /**
     * Registers a node presenting {@code token}; its attestation starts at once and is retried until it is admitted
     * or lost. Fails with a 401 for an unknown, expired or revoked token and a 400 for a bad request.
     */
    public Future<Joined> join(String token, JoinRequest request) {
        String problem = problem(request);
        if (problem != null) {
            return Future.failedFuture(new InvalidRequestException(OpenAiError.invalidRequest(problem, null,
                    "invalid_join_request")));
        }
        Instant now = clock.instant();
        return jdbc.executeBlocking(() -> {
            Optional<JoinTokenRecord> found = token == null ? Optional.empty()
                    : store.tokenByHash(JoinTokens.hash(token));
            if (found.isEmpty() || !found.get().usable(now)) {
                throw invalidToken();
            }
            List<String> outside = request.models().stream().filter(m -> !found.get().models().contains(m)).toList();
            if (!outside.isEmpty()) {
                throw new InvalidRequestException(new OpenAiError(403, "The join token does not allow the model(s) "
                        + outside + "; it allows " + found.get().models() + ".", OpenAiError.PERMISSION, "models",
                        "model_not_allowed_for_token"));
            }
            byte[] id = new byte[8];
            RANDOM.nextBytes(id);
            NodeRegistrationRecord registration = new NodeRegistrationRecord("nr_" + HexFormat.of().formatHex(id),
                    found.get().id(), request.name(), origin(request.url()), request.models(),
                    NodeRegistrationRecord.ACTIVE, now, now);
            if (!store.join(found.get().id(), registration, now)) {
                throw invalidToken(); // used by a concurrent join, or revoked meanwhile: nothing was registered
            }
            return registration;
        }, false).map(registration -> {
            LOG.info("node {} ({}) joined as {} for {}", registration.name(), registration.baseUrl(), registration.id(),
                    registration.models());
            follow(registration);
            return new Joined(registration, credentials.credential(registration.id()));
        });
    }

    private static InvalidRequestException invalidToken() {
        return new InvalidRequestException(new OpenAiError(401, "Missing, unknown, expired, revoked or already used join"
                + " token (a token admits one join); ask the gateway's operator for a new one (veil nodes tokens create).",
                OpenAiError.AUTHENTICATION, null, "invalid_join_token"));
    }

    /** The node deregisters itself (graceful shutdown), proving it holds its registration's credential. */
    public Future<Boolean> leave(String registrationId, String signature, String method, String uri) {
        if (!credentials.signed(registrationId, signature, method, uri, clock.millis())) {
            return Future.failedFuture(new InvalidRequestException(new OpenAiError(401, "No valid signature for this "
                    + "registration; a node leaves with a request signed (" + GatewaySignature.HEADER + ") with the "
                    + "credential it received when it joined, within " + GatewaySignature.MAX_SKEW_MS / 1000
                    + " s of the gateway's clock.", OpenAiError.AUTHENTICATION, null, "invalid_node_credential")));
        }
        return end(registrationId, NodeRegistrationRecord.LEFT);
    }

    /** The operator bans a joined node: it is removed at once and its join token revoked, so it cannot rejoin with it. */
    public Future<Boolean> ban(String registrationId) {
        return jdbc.executeBlocking(() -> store.registrations().stream()
                .filter(r -> r.id().equals(registrationId)).findFirst(), false).compose(found -> {
            if (found.isEmpty()) {
                return Future.succeededFuture(false);
            }
            return jdbc.executeBlocking(() -> store.revokeToken(found.get().tokenId(), clock.instant()), false)
                    .compose(revoked -> end(registrationId, NodeRegistrationRecord.BANNED))
                    .onSuccess(banned -> {
                        if (banned) {
                            actions.nodeBanned(registrationId, found.get().tokenId());
                        }
                    });
        });
    }

    /** The registrations in the store (every state), oldest first. */
    public Future<List<NodeRegistrationRecord>> registrations() {
        return jdbc.executeBlocking(store::registrations, false);
    }

    /** Why this gateway took registration {@code id} out after failed attestations, if it did. */
    public Optional<String> endReason(String id) {
        return Optional.ofNullable(endReasons.get(id));
    }

    private Future<Boolean> end(String registrationId, String state) {
        return jdbc.executeBlocking(() -> store.endRegistration(registrationId, state, clock.instant()), false)
                .map(ended -> {
                    if (ended) {
                        LOG.info("node registration {} ended: {}", registrationId, state);
                        unfollow(registrationId);
                    }
                    return ended;
                });
    }

    /** Reads the registrations: follows new active ones, lets go of ended ones, ends those lost. */
    private Future<Void> sync() {
        return jdbc.executeBlocking(store::registrations, false).map(all -> {
            for (NodeRegistrationRecord r : all) {
                if (NodeRegistrationRecord.ACTIVE.equals(r.state())) {
                    if (!joined.containsKey(r.id())) {
                        follow(r);
                    } else if (registry.status(r.id()).failuresInARow() >= LOST_AFTER_FAILURES) {
                        endReasons.put(r.id(), registry.status(r.id()).lastFailure());
                        end(r.id(), NodeRegistrationRecord.LOST);
                    }
                } else if (joined.containsKey(r.id())) {
                    unfollow(r.id());
                }
            }
            return (Void) null;
        }).recover(failure -> {
            LOG.warn("node registrations could not be read: {}", failure.getClass().getName());
            return Future.succeededFuture();
        });
    }

    private void follow(NodeRegistrationRecord registration) {
        if (joined.putIfAbsent(registration.id(), registration) != null) {
            return;
        }
        Upstream upstream = new Upstream(registration.id(), URI.create(registration.baseUrl() + "/v1"),
                Optional.of(credentials.credential(registration.id())), Map.of(),
                UpstreamConfig.DEFAULT_CONNECT_TIMEOUT_MS, UpstreamConfig.DEFAULT_IDLE_TIMEOUT_MS,
                UpstreamConfig.DEFAULT_MAX_CONNECTIONS, true, UpstreamConfig.DEFAULT_POOL_WAIT_TIMEOUT_MS,
                UpstreamConfig.DEFAULT_MAX_WAIT_QUEUE, UpstreamConfig.DEFAULT_MAX_RESPONSE_BYTES,
                UpstreamConfig.DEFAULT_MAX_ERROR_BYTES, (int) UpstreamConfig.DEFAULT_MAX_EVENT_BYTES);
        clients.add(upstream);
        attestUntilAdmitted(registration, upstream);
    }

    /**
     * The node installs its credential when the join answer reaches it, so the first attestation may find it not yet
     * ready: retry every second until it is admitted (then route to it) or has failed too often (then it is lost).
     */
    private void attestUntilAdmitted(NodeRegistrationRecord registration, Upstream upstream) {
        registry.add(upstream).onSuccess(admitted -> {
            if (!joined.containsKey(registration.id())) {
                return;
            }
            Optional<VerifiedNode> verified = registry.verified(registration.id());
            if (admitted && verified.isPresent()) {
                catalog.addJoined(upstream, routes(registration, upstream, verified.get()));
            } else if (registry.status(registration.id()).failuresInARow() < LOST_AFTER_FAILURES) {
                vertx.setTimer(FIRST_ATTEST_RETRY_MS, t -> {
                    if (joined.containsKey(registration.id())) {
                        attestUntilAdmitted(registration, upstream);
                    }
                });
            }
        });
    }

    /**
     * One route per model, named by the registration id (never by the name the node gave, which could imitate an
     * operator's route in allow- and deny-lists), with the data policy the node declared and the TEE its evidence
     * verified; free (a joined node's price is the operator's to set in configuration).
     */
    private static List<Route> routes(NodeRegistrationRecord registration, Upstream upstream, VerifiedNode node) {
        NodeDeclaration declared = node.declaration() != null ? node.declaration()
                : new NodeDeclaration(null, null, null, null, null, null);
        List<Route> routes = new ArrayList<>();
        for (String model : registration.models()) {
            routes.add(new Route(model, registration.id(), upstream, model, 1, Price.FREE,
                    declared.dataPolicy(node.format()), Set.of(), ForwardRules.DEFAULT, Tokenizer.forModel(model)));
        }
        return routes;
    }

    private void unfollow(String registrationId) {
        if (joined.remove(registrationId) != null) {
            catalog.removeJoined(registrationId);
            registry.remove(registrationId);
            clients.remove(registrationId);
        }
    }

    private static String problem(JoinRequest request) {
        if (request.name() == null || !NAME.matcher(request.name()).matches()) {
            return "'name' must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";
        }
        if (request.models() == null || request.models().isEmpty() || request.models().size() > 64) {
            return "'models' must list 1 to 64 public model ids the node serves";
        }
        for (String m : request.models()) {
            if (m == null || m.isBlank() || m.length() > 200) {
                return "'models' holds an empty or over-long model id";
            }
        }
        try {
            origin(request.url());
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        return null;
    }

    /** The node's origin ({@code scheme://host:port}) from the URL it gave; refuses anything else. */
    private static String origin(String url) {
        URI uri;
        try {
            uri = url == null ? null : new URI(url);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
                || uri.getUserInfo() != null || (uri.getRawPath() != null && !uri.getRawPath().isEmpty()
                && !uri.getRawPath().equals("/")) || uri.getRawQuery() != null) {
            throw new IllegalArgumentException("'url' must be the node's origin, e.g. https://node.example:9000 (http or"
                    + " https, no path, query or user info)");
        }
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
