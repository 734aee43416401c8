package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Leases on batches ({@code batches.lease_owner}, {@code lease_until}, {@code lease_epoch}): a batch is run by the one
 * instance that holds its lease; the holder renews it by heartbeats; a lease that was not renewed in time lapses and
 * another instance may take the batch over. Every change is one conditional statement or one short transaction, so two
 * instances never both believe a claim succeeded. On PostgreSQL the poll locks the candidate rows with
 * {@code FOR UPDATE SKIP LOCKED} (instances polling at once split the free batches instead of waiting for each other);
 * SQLite has one writer at a time and needs no row locks. Blocking JDBC; run on a worker thread.
 */
public final class BatchLeaseRepository {

    /** The statuses of a batch that has not ended: the only ones a lease is taken on. */
    private static final String UNFINISHED = "status NOT IN ('completed', 'failed', 'expired', 'cancelled')";

    private final DataSource dataSource;
    private final boolean postgres;

    BatchLeaseRepository(DataSource dataSource, String vendor) {
        this.dataSource = dataSource;
        this.postgres = StoreSettings.POSTGRESQL.equals(vendor);
    }

    /**
     * Claims up to {@code limit} unfinished batches that nobody holds (never leased, released, or lease lapsed before
     * {@code now}), oldest first, for {@code owner} until {@code now + leaseMillis}.
     *
     * @return the ids claimed, oldest first
     */
    public List<String> claimFree(String owner, long now, long leaseMillis, int limit) {
        if (limit <= 0) {
            return List.of();
        }
        return Jdbc.inWriteTransaction(dataSource, !postgres, "claim batches", connection -> {
            List<String> ids = new ArrayList<>();
            try (PreparedStatement s = connection.prepareStatement("SELECT id FROM batches WHERE " + UNFINISHED
                    + " AND (lease_owner IS NULL OR lease_until IS NULL OR lease_until < ?) ORDER BY created_at, id LIMIT ?"
                    + (postgres ? " FOR UPDATE SKIP LOCKED" : ""))) {
                s.setLong(1, now);
                s.setInt(2, limit);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                }
            }
            for (String id : ids) {
                take(connection, id, owner, now + leaseMillis);
            }
            return ids;
        });
    }

    /**
     * Claims one batch for {@code owner} if it has not ended and nobody else holds a live lease on it (a lease
     * {@code owner} already holds is extended).
     *
     * @return whether {@code owner} holds the batch now
     */
    public boolean claim(String id, String owner, long now, long leaseMillis) {
        return Jdbc.withConnection(dataSource, "claim batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement("UPDATE batches SET lease_owner = ?, lease_until = ?, "
                    + "lease_epoch = lease_epoch + (CASE WHEN lease_owner = ? THEN 0 ELSE 1 END) WHERE id = ? AND "
                    + UNFINISHED + " AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)")) {
                s.setString(1, owner);
                s.setLong(2, now + leaseMillis);
                s.setString(3, owner);
                s.setString(4, id);
                s.setString(5, owner);
                s.setLong(6, now);
                return s.executeUpdate() == 1;
            }
        });
    }

    /**
     * Extends {@code owner}'s lease on a batch (a heartbeat). A lease that lapsed but that nobody took over yet is
     * still {@code owner}'s and is extended: nothing else ran the batch meanwhile.
     *
     * @return the batch's status if {@code owner} still holds it; empty when the lease was lost (taken over, released,
     *         or the batch deleted)
     */
    public Optional<String> renew(String id, String owner, long now, long leaseMillis) {
        return Jdbc.withConnection(dataSource, "renew lease on batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "UPDATE batches SET lease_until = ? WHERE id = ? AND lease_owner = ?")) {
                s.setLong(1, now + leaseMillis);
                s.setString(2, id);
                s.setString(3, owner);
                if (s.executeUpdate() != 1) {
                    return Optional.empty();
                }
            }
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT status FROM batches WHERE id = ? AND lease_owner = ?")) {
                s.setString(1, id);
                s.setString(2, owner);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getString(1)) : Optional.empty();
                }
            }
        });
    }

    /** Gives up {@code owner}'s lease on a batch (its job ended or the instance is stopping), so others may take it. */
    public void release(String id, String owner) {
        Jdbc.withConnection(dataSource, "release lease on batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "UPDATE batches SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?")) {
                s.setString(1, id);
                s.setString(2, owner);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Drops every lease (for a single-node store at start: no other process can hold one, so the leases a killed
     * process left need not be waited out).
     *
     * @return how many leases were dropped
     */
    public int releaseAll() {
        return Jdbc.withConnection(dataSource, "release all batch leases", connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "UPDATE batches SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL")) {
                return s.executeUpdate();
            }
        });
    }

    /** The holder of a batch's lease and how often it was claimed, for operations and tests. */
    public record Lease(String owner, Long until, long epoch) {
    }

    public Optional<Lease> find(String id) {
        return Jdbc.withConnection(dataSource, "find lease on batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT lease_owner, lease_until, lease_epoch FROM batches WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(new Lease(rows.getString(1), Jdbc.getNullableLong(rows, "lease_until"),
                            rows.getLong(3))) : Optional.empty();
                }
            }
        });
    }

    /**
     * Whether {@code owner} holds the batch's lease, checked inside the caller's transaction and, on PostgreSQL, with
     * the row locked {@code FOR SHARE} until that transaction ends: a takeover (an {@code UPDATE} of the row) then
     * waits for the caller to commit, or the caller sees the new owner. Writes fenced by this check can never land
     * after another instance took the batch over.
     */
    static boolean holds(Connection connection, boolean postgres, String batchId, String owner) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT 1 FROM batches WHERE id = ? AND lease_owner = ?"
                + (postgres ? " FOR SHARE" : ""))) {
            s.setString(1, batchId);
            s.setString(2, owner);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next();
            }
        }
    }

    private static void take(Connection connection, String id, String owner, long until) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("UPDATE batches SET lease_owner = ?, lease_until = ?, "
                + "lease_epoch = lease_epoch + 1 WHERE id = ?")) {
            s.setString(1, owner);
            s.setLong(2, until);
            s.setString(3, id);
            s.executeUpdate();
        }
    }
}
