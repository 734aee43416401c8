package dev.veil.gateway.nodes;

import dev.veil.gateway.relay.Attempting;
import dev.veil.gateway.relay.UpstreamClients;
import dev.veil.gateway.routing.Route;
import dev.veil.gateway.routing.Upstream;
import dev.veil.protocol.DataPolicy;
import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.AttestationPolicy;
import dev.veil.protocol.attestation.AttestationVerifier;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.protocol.attestation.Evidence;
import dev.veil.protocol.e2ee.E2ee;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's view of its nodes. A node is admitted only after its evidence, fetched with the gateway's own fresh
 * nonce, verifies against the operator's attestation policy; it is re-attested on a schedule (and at once when it
 * reports an unknown key, i.e. it rotated) and dropped when that fails. Routes to a node that is not admitted are never
 * candidates.
 */
public final class NodeRegistry implements NodeAdmission, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeRegistry.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Vertx vertx;
    private final UpstreamClients clients;
    private final Map<String, Upstream> nodes;
    private final AttestationPolicy policy;
    private final AttestationVerifier verifier;
    private final long intervalMs;
    private final AdmissionLog admissionLog;
    private final NodeEvents events;
    private final ConcurrentHashMap<String, VerifiedNode> admitted = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Long> rounds = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, NodeStatus> status = new ConcurrentHashMap<>();
    private long timer = -1;

    public NodeRegistry(Vertx vertx, UpstreamClients clients, Collection<Upstream> nodes, AttestationPolicy policy,
                        AttestationVerifier verifier, long intervalMs, AdmissionLog admissionLog) {
        this(vertx, clients, nodes, policy, verifier, intervalMs, admissionLog, NodeEvents.NONE);
    }

    /** A registry that also tells {@code events} (the audit log) when a node is admitted or dropped. */
    public NodeRegistry(Vertx vertx, UpstreamClients clients, Collection<Upstream> nodes, AttestationPolicy policy,
                        AttestationVerifier verifier, long intervalMs, AdmissionLog admissionLog, NodeEvents events) {
        this.events = events;
        this.vertx = vertx;
        this.clients = clients;
        this.nodes = new ConcurrentHashMap<>();
        for (Upstream node : nodes) {
            this.nodes.put(node.name(), node);
        }
        this.policy = policy;
        this.verifier = verifier;
        this.intervalMs = intervalMs;
        this.admissionLog = admissionLog;
    }

    /** Attests every node now and then on the schedule; the future completes when the first round is done. */
    public Future<Void> start() {
        timer = vertx.setPeriodic(intervalMs, id -> attestAll());
        return attestAll();
    }

    /** One attestation round over all nodes. */
    public Future<Void> attestAll() {
        List<Future<Boolean>> rounds = new ArrayList<>();
        for (Upstream node : nodes.values()) {
            rounds.add(attest(node));
        }
        return Future.join(rounds).mapEmpty();
    }

    /** Re-attests one node (e.g. after it reported an unknown key). */
    public void reattest(String upstreamName) {
        Upstream node = nodes.get(upstreamName);
        if (node != null) {
            attest(node);
        }
    }

    /**
     * What is known of a node's attestation: when it last verified, the last failure's reason (null after a success)
     * and how many attestations in a row failed.
     */
    public record NodeStatus(java.time.Instant lastVerifiedAt, String lastFailure, int failuresInARow) {
        static final NodeStatus NEW = new NodeStatus(null, null, 0);
    }

    /** Adds a node (one that joined) and attests it now; the future says whether it was admitted. */
    public Future<Boolean> add(Upstream node) {
        nodes.put(node.name(), node);
        return attest(node);
    }

    /** Removes a node (it left, was lost or banned): it is no longer attested nor admitted. */
    public void remove(String upstreamName) {
        nodes.remove(upstreamName);
        admitted.remove(upstreamName);
        rounds.remove(upstreamName);
        status.remove(upstreamName);
    }

    /** The node with this upstream name, if the registry has it. */
    public Optional<Upstream> node(String upstreamName) {
        return Optional.ofNullable(nodes.get(upstreamName));
    }

    /** Every node the registry attests, by upstream name. */
    public Collection<Upstream> nodes() {
        return List.copyOf(nodes.values());
    }

    /** The node's attestation status ({@link NodeStatus#NEW} before its first attestation ends). */
    public NodeStatus status(String upstreamName) {
        return status.getOrDefault(upstreamName, NodeStatus.NEW);
    }

    /** The verified keys of an admitted node. */
    public Optional<VerifiedNode> verified(String upstreamName) {
        return Optional.ofNullable(admitted.get(upstreamName));
    }

    @Override
    public boolean admitted(Route route) {
        if (!route.node()) {
            return true;
        }
        VerifiedNode node = admitted.get(route.upstream().name());
        return node != null && node.format().equals(route.policy().teeKind().wireName());
    }

    @Override
    public boolean holdsKey(Route route, String nodeKeyId) {
        VerifiedNode node = admitted.get(route.upstream().name());
        return admitted(route) && node.nodeKeyId().equals(nodeKeyId);
    }

    @Override
    public String declarationMismatch(Route route) {
        VerifiedNode node = admitted.get(route.upstream().name());
        if (node == null || node.declaration() == null) {
            return null;
        }
        DataPolicy declared = node.declaration().dataPolicy(node.format());
        DataPolicy claimed = route.policy();
        if (claimed.jurisdiction() != null && (declared.jurisdiction() == null
                || !declared.jurisdiction().equalsIgnoreCase(claimed.jurisdiction()))) {
            return "the route declares jurisdiction " + claimed.jurisdiction() + " but its node declares "
                    + (declared.jurisdiction() == null ? "none" : declared.jurisdiction()) + "; give veil node --jurisdiction "
                    + claimed.jurisdiction() + " or correct the route";
        }
        if (claimed.neverTrains() && !declared.neverTrains()) {
            return "the route declares no training but its node does not";
        }
        if (claimed.zeroRetention() && !declared.zeroRetention()) {
            return "the route declares zero retention but its node does not";
        }
        return null;
    }

    /** Fetches a node's evidence for a client's nonce, unverified (the client verifies it). */
    public Future<Evidence> evidence(Upstream node, byte[] nonce) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
                .setHost(node.baseUrl().getHost()).setPort(node.port()).setSsl(node.ssl())
                .setURI(node.basePath() + "/attestation?nonce=" + E2ee.hex(nonce))
                .setConnectTimeout(node.connectTimeoutMs()).setIdleTimeout(Math.min(node.idleTimeoutMs(), 30_000));
        // A node that serves only its gateways wants a signed request here as on inference calls.
        Attempting.signForNode(node, options, null);
        return clients.get(node.name()).request(options)
                .compose(request -> request.send())
                .compose(response -> response.statusCode() == 200 ? response.body()
                        : Future.failedFuture(new IllegalStateException("node answered " + response.statusCode())))
                .compose(body -> {
                    try {
                        return Future.succeededFuture(Evidence.parse(body.getBytes()));
                    } catch (AttestationException e) {
                        return Future.failedFuture(e);
                    }
                });
    }

    private Future<Boolean> attest(Upstream node) {
        byte[] nonce = new byte[32];
        RANDOM.nextBytes(nonce);
        // The schedule and a re-attestation after a key rotation can overlap; only the latest one started may change
        // the node's state, so an older identity never replaces a newer one.
        long round = rounds.merge(node.name(), 1L, Long::sum);
        return evidence(node, nonce).compose(evidence -> {
            VerifiedNode verifiedNode;
            try {
                verifiedNode = verifier.verify(evidence, nonce, policy);
            } catch (AttestationException e) {
                if (latest(node, round)) {
                    drop(node, "attestation failed (" + e.code() + ")");
                }
                return Future.succeededFuture(false);
            }
            // Published before it serves: an identity that could not be logged is not admitted.
            return admissionLog.record(node.name(), verifiedNode).recover(failure -> Future.failedFuture(
                    new NotPublished(failure))).map(logged -> {
                if (!latest(node, round)) {
                    return false;
                }
                if (!nodes.containsKey(node.name())) {
                    return false; // removed while it was being attested
                }
                status.put(node.name(), new NodeStatus(java.time.Instant.now(), null, 0));
                VerifiedNode before = admitted.put(node.name(), verifiedNode);
                if (before == null || !before.nodeKeyId().equals(verifiedNode.nodeKeyId())) {
                    LOG.info("node {} admitted: format={}{} node_key_id={} measurement={}", node.name(), verifiedNode.format(),
                            verifiedNode.simulated() ? " (SIMULATED, no hardware TEE)" : "", verifiedNode.nodeKeyId(),
                            verifiedNode.measurement());
                    events.admitted(node.name(), verifiedNode);
                }
                return true;
            });
        }).recover(failure -> {
            if (latest(node, round)) {
                drop(node, failure instanceof NotPublished ? failure.getMessage()
                        : "attestation failed (" + failure.getClass().getSimpleName() + ")");
            }
            return Future.succeededFuture(false);
        });
    }

    /** The identity verified but could not be stored in the transparency log, so the node is not admitted. */
    private static final class NotPublished extends Exception {
        NotPublished(Throwable cause) {
            super("its identity could not be published in the transparency log (" + cause.getClass().getSimpleName()
                    + ")", null, false, false);
        }
    }

    /** Whether {@code round} is still the latest attestation started for {@code node}. */
    private boolean latest(Upstream node, long round) {
        return rounds.getOrDefault(node.name(), 0L) == round;
    }

    private void drop(Upstream node, String reason) {
        if (!nodes.containsKey(node.name())) {
            return; // removed while it was being attested
        }
        status.compute(node.name(), (name, before) -> {
            NodeStatus b = before == null ? NodeStatus.NEW : before;
            return new NodeStatus(b.lastVerifiedAt(), reason, b.failuresInARow() + 1);
        });
        if (admitted.remove(node.name()) != null) {
            LOG.warn("node {} dropped: {}", node.name(), reason);
            events.dropped(node.name(), reason);
        } else {
            LOG.warn("node {} not admitted: {}", node.name(), reason);
        }
    }

    @Override
    public void close() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }
}
