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

/** The {@code api_keys} table. Blocking JDBC; run on a worker pool. */
public final class ApiKeyRepository {

    private static final String COLUMNS = "id, name, secret_hash, secret_hint, created_at, revoked_at, policy";

    private final DataSource dataSource;

    ApiKeyRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Stores a key.
     *
     * @throws StoreException when the id or hash already exists ({@link StoreException#constraintViolation()}) or the
     *                        database fails
     */
    public void insert(ApiKeyRecord key) {
        Objects.requireNonNull(key, "key");
        // Not counted in key_changes: no instance can have cached anything for a secret that did not exist yet.
        Jdbc.withConnection(dataSource, "insert api key " + key.id(), connection -> {
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
                return null;
            }
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

    /**
     * Revokes a key. The row is kept as a record of the key having existed.
     *
     * @return true if the key was active and is now revoked; false if it is unknown or was already revoked
     */
    public boolean revoke(String id, Instant at) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(at, "at");
        return Jdbc.inTransaction(dataSource, "revoke api key " + id, connection -> {
            // The IS NULL guard makes revocation idempotent and keeps the first revocation time.
            try (PreparedStatement statement = connection.prepareStatement(
                    "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
                statement.setLong(1, Jdbc.millis(at));
                statement.setString(2, id);
                return statement.executeUpdate() == 1 && countChange(connection);
            }
        });
    }

    /**
     * Replaces the policy of an active key. Every gateway on this store sees the change within a second: it moves the
     * {@link #changeVersion()} they poll.
     *
     * @return true if the key is active and now has {@code policy}; false if it is unknown or revoked
     */
    public boolean updatePolicy(String id, KeyPolicy policy) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(policy, "policy");
        return Jdbc.inTransaction(dataSource, "update policy of api key " + id, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "UPDATE api_keys SET policy = ? WHERE id = ? AND revoked_at IS NULL")) {
                setPolicy(statement, 1, policy);
                statement.setString(2, id);
                return statement.executeUpdate() == 1 && countChange(connection);
            }
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
