package dev.veil.store;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.KeyPolicyJson;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The {@code api_keys} table. Blocking JDBC; run on a worker pool. Every creation, revocation and policy change is
 * written to the audit log in the same transaction, so the change and its record commit together or not at all.
 */
public final class ApiKeyRepository {

    private static final String COLUMNS = "id, name, secret_hash, secret_hint, created_at, revoked_at, policy";

    private final DataSource dataSource;
    private final AuditLogRepository audit;

    ApiKeyRepository(DataSource dataSource, AuditLogRepository audit) {
        this.dataSource = dataSource;
        this.audit = audit;
    }

    /** Stores a key, audited as done by {@link AuditActor#STORE}. */
    public void insert(ApiKeyRecord key) {
        insert(key, AuditActor.STORE);
    }

    /**
     * Stores a key and records {@code key.created} (its id, name and policy; never its secret or hash) for
     * {@code actor}.
     *
     * @throws StoreException when the id or hash already exists ({@link StoreException#constraintViolation()}) or the
     *                        database fails
     */
    public void insert(ApiKeyRecord key, AuditActor actor) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(actor, "actor");
        // Not counted in key_changes: no instance can have cached anything for a secret that did not exist yet.
        Jdbc.inWriteTransaction(dataSource, audit.sqlite(), "insert api key " + key.id(), connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "INSERT INTO api_keys (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                statement.setString(1, key.id());
                statement.setString(2, key.name());
                statement.setString(3, key.secretHash());
                statement.setString(4, key.secretHint());
                statement.setLong(5, Jdbc.millis(key.createdAt()));
                Jdbc.setNullableLong(statement, 6, key.revokedAt() == null ? null : Jdbc.millis(key.revokedAt()));
                setPolicy(statement, 7, key.policy());
                statement.executeUpdate();
            }
            audit.append(connection, AuditEvent.of(actor, AuditAction.KEY_CREATED, key.id(), "name", key.name(),
                    "policy", KeyPolicyJson.write(key.policy())), key.createdAt());
            return null;
        });
    }

    /**
     * Finds the key with this secret hash, revoked or not; the caller must check {@link ApiKeyRecord#active()}.
     *
     * @param secretHash the output of {@link ApiKeyIssuer#hashSecret}
     */
    public Optional<ApiKeyRecord> findBySecretHash(String secretHash) {
        Objects.requireNonNull(secretHash, "secretHash");
        return findOne("find api key by hash", "secret_hash", secretHash);
    }

    /** Finds the key with this id, revoked or not. */
    public Optional<ApiKeyRecord> findById(String id) {
        Objects.requireNonNull(id, "id");
        return findOne("find api key " + id, "id", id);
    }

    /** All keys, revoked ones included, oldest first. */
    public List<ApiKeyRecord> list() {
        return Jdbc.withConnection(dataSource, "list api keys", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM api_keys ORDER BY created_at, id");
                 ResultSet rows = statement.executeQuery()) {
                List<ApiKeyRecord> keys = new ArrayList<>();
                while (rows.next()) {
                    keys.add(read(rows));
                }
                return keys;
            }
        });
    }

    /** Revokes a key, audited as done by {@link AuditActor#STORE}; see {@link #revoke(String, Instant, AuditActor)}. */
    public boolean revoke(String id, Instant at) {
        return revoke(id, at, AuditActor.STORE);
    }

    /**
     * Revokes a key and records {@code key.revoked} for {@code actor}. The row is kept as a record of the key having
     * existed.
     *
     * @return true if the key was active and is now revoked; false if it is unknown or was already revoked (nothing is
     *         recorded then)
     */
    public boolean revoke(String id, Instant at, AuditActor actor) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(actor, "actor");
        return Jdbc.inWriteTransaction(dataSource, audit.sqlite(), "revoke api key " + id, connection -> {
            // The IS NULL guard makes revocation idempotent and keeps the first revocation time.
            try (PreparedStatement statement = connection.prepareStatement(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                statement.setLong(1, Jdbc.millis(at));
                statement.setString(2, id);
                if (statement.executeUpdate() != 1) {
                    return false;
                }
            }
            countChange(connection);
            audit.append(connection, AuditEvent.of(actor, AuditAction.KEY_REVOKED, id), at);
            return true;
        });
    }

    /**
     * Replaces the policy of an active key, audited as done by {@link AuditActor#STORE}. Every gateway on this store
     * sees the change within a second: it moves the
     * {@link #changeVersion()} they poll.
     *
     * @return true if the key is active and now has {@code policy}; false if it is unknown or revoked
     */
    public boolean updatePolicy(String id, KeyPolicy policy) {
        return updatePolicy(id, policy, AuditActor.STORE);
    }

    /**
     * Replaces the policy of an active key and records {@code key.policy_changed} with the new policy for
     * {@code actor}; see {@link #updatePolicy(String, KeyPolicy)}.
     */
    public boolean updatePolicy(String id, KeyPolicy policy, AuditActor actor) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(actor, "actor");
        return Jdbc.inWriteTransaction(dataSource, audit.sqlite(), "update policy of api key " + id, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "UPDATE api_keys SET policy = ? WHERE id = ? AND revoked_at IS NULL")) {
                setPolicy(statement, 1, policy);
                statement.setString(2, id);
                if (statement.executeUpdate() != 1) {
                    return false;
                }
            }
            countChange(connection);
            audit.append(connection, AuditEvent.of(actor, AuditAction.KEY_POLICY_CHANGED, id,
                    "policy", KeyPolicyJson.write(policy)), Instant.now());
            return true;
        });
    }

    /**
     * How many keys were revoked or given a new policy. Gateways poll it (a one-row primary-key read) and
     * drop their cached keys when it moves; it only grows.
     */
    public long changeVersion() {
        return Jdbc.withConnection(dataSource, "read key change version", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT version FROM key_changes WHERE id = 1");
                 ResultSet rows = statement.executeQuery()) {
                return rows.next() ? rows.getLong(1) : 0L;
            }
        });
    }

    /** Moves the change version, in the transaction that changed a key; always true. */
    private static boolean countChange(java.sql.Connection connection) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE key_changes SET version = version + 1 WHERE id = 1")) {
            statement.executeUpdate();
            return true;
        }
    }

    /** The unrestricted policy is stored as NULL, as rows from before policies existed have it. */
    private static void setPolicy(PreparedStatement statement, int index, KeyPolicy policy) throws SQLException {
        if (policy.equals(KeyPolicy.UNRESTRICTED)) {
            statement.setNull(index, Types.VARCHAR);
        } else {
            statement.setString(index, KeyPolicyJson.write(policy));
        }
    }

    private static KeyPolicy readPolicy(String id, String json) {
        if (json == null) {
            return KeyPolicy.UNRESTRICTED;
        }
        try {
            return KeyPolicyJson.read(json);
        } catch (KeyPolicyJson.InvalidPolicyException e) {
            // Fail closed: a key whose policy cannot be read must not be served as unrestricted. The field path
            // names what is wrong without quoting the stored value.
            throw new IllegalStateException("the stored policy of api key " + id + " is invalid at " + e.field()
                    + "; set it again with 'veil keys policy' or the admin API");
        }
    }

    private Optional<ApiKeyRecord> findOne(String operation, String column, String value) {
        return Jdbc.withConnection(dataSource, operation, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM api_keys WHERE " + column + " = ?")) {
                statement.setString(1, value);
                try (ResultSet rows = statement.executeQuery()) {
                    return rows.next() ? Optional.of(read(rows)) : Optional.empty();
                }
            }
        });
    }

    private static ApiKeyRecord read(ResultSet rows) throws SQLException {
        String id = rows.getString("id");
        return new ApiKeyRecord(
                id,
                rows.getString("name"),
                rows.getString("secret_hash"),
                rows.getString("secret_hint"),
                Jdbc.instant(rows.getLong("created_at")),
                Jdbc.getNullableInstant(rows, "revoked_at"),
                readPolicy(id, rows.getString("policy")));
    }
}
