package dev.veil.gateway.audit;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.gateway.nodes.NodeEvents;
import dev.veil.protocol.attestation.AttestationVerifier.VerifiedNode;
import dev.veil.store.AuditAction;
import dev.veil.store.AuditActor;
import dev.veil.store.AuditEvent;
import dev.veil.store.AuditLogRepository;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a gateway instance itself writes to the audit log: its start with the configuration it loaded, the nodes it
 * admits and drops, and the retention purge. Every write runs on the JDBC worker pool, never on an event loop; a
 * failed write is logged (by exception class) and does not stop the gateway or a node's admission.
 */
public final class AuditTrail implements NodeEvents {

    private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
    private static final ObjectMapper FINGERPRINT = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private final AuditLogRepository log;
    private final WorkerExecutor jdbc;
    private final Clock clock;
    private final String instance;

    /**
     * @param instance this gateway instance's id for this run (random), so entries of several instances on one store
     *                 can be told apart
     */
    public AuditTrail(AuditLogRepository log, WorkerExecutor jdbc, Clock clock, String instance) {
        this.log = log;
        this.jdbc = jdbc;
        this.clock = clock;
        this.instance = instance;
    }

    /**
     * Records {@code config.loaded}: the instance, a SHA-256 fingerprint of the configuration (it holds no secrets:
     * those are environment references) and a few counts, so an operator can see when and where the configuration
     * changed. Blocking: start-up only. An entry that cannot be written is logged and does not stop the start.
     */
    public void configLoaded(VeilConfig config, String storeVendor, boolean adminApi) {
        long routes = config.models().stream().mapToLong(m -> m.routes().size()).sum();
        AuditEvent event = AuditEvent.of(AuditActor.GATEWAY, AuditAction.CONFIG_LOADED, instance,
                "config_sha256", fingerprint(config),
                "models", Integer.toString(config.models().size()),
                "routes", Long.toString(routes),
                "upstreams", Integer.toString(config.upstreams().size()),
                "store", storeVendor,
                "redis", config.redis().enabled() ? "on" : "off",
                "admin_api", adminApi ? "on" : "off",
                "audit_retention_days", Integer.toString(config.store().auditRetentionDays()));
        try {
            log.append(event, clock.instant());
        } catch (RuntimeException e) {
            LOG.warn("audit log entry config.loaded for {} could not be written: {}", instance, e.getClass().getName());
        }
    }

    @Override
    public void admitted(String name, VerifiedNode node) {
        write(AuditEvent.of(AuditActor.GATEWAY, AuditAction.NODE_ADMITTED, name,
                "instance", instance,
                "format", node.format(),
                "simulated", Boolean.toString(node.simulated()),
                "measurement", String.valueOf(node.measurement()),
                "node_key_id", node.nodeKeyId()));
    }

    @Override
    public void dropped(String name, String reason) {
        write(AuditEvent.of(AuditActor.GATEWAY, AuditAction.NODE_DROPPED, name, "instance", instance,
                "reason", reason));
    }

    /** The operator issued a join token (never the token itself). */
    public void joinTokenIssued(String tokenId, java.util.List<String> models, String label) {
        write(AuditEvent.of(AuditActor.ADMIN_API, AuditAction.JOIN_TOKEN_ISSUED, tokenId, "instance", instance,
                "models", String.join(",", models), "label", String.valueOf(label)));
    }

    /** The operator revoked a join token. */
    public void joinTokenRevoked(String tokenId) {
        write(AuditEvent.of(AuditActor.ADMIN_API, AuditAction.JOIN_TOKEN_REVOKED, tokenId, "instance", instance));
    }

    /** The operator banned a joined node (its join token is revoked with it). */
    public void nodeBanned(String registrationId, String tokenId) {
        write(AuditEvent.of(AuditActor.ADMIN_API, AuditAction.NODE_BANNED, registrationId, "instance", instance,
                "join_token", tokenId));
    }

    /**
     * Retention: purges the entries older than {@code retention} on the JDBC pool. Several instances may run it at once;
     * the chain's head lock lets one purge and the others find nothing.
     */
    public Future<Integer> purge(Duration retention) {
        return jdbc.executeBlocking(() -> log.purgeOlderThan(clock.instant().minus(retention), clock.instant(),
                AuditActor.GATEWAY), false);
    }

    private void write(AuditEvent event) {
        jdbc.executeBlocking(() -> log.append(event, clock.instant()), false)
                .onFailure(t -> LOG.warn("audit log entry {} for {} could not be written: {}",
                        event.action().wireName(), event.subject(), t.getClass().getName()));
    }

    /** SHA-256 of the configuration as JSON with sorted keys; "unavailable" if it cannot be serialised. */
    static String fingerprint(VeilConfig config) {
        try {
            byte[] json = FINGERPRINT.writeValueAsBytes(config);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json));
        } catch (Exception e) {
            return "unavailable";
        }
    }
}
