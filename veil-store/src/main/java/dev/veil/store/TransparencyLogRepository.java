package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The {@code transparency_log} table: append and read, never update or delete. Blocking JDBC; the caller serialises
 * appends (one gateway process owns the log), and the primary key on {@code leaf_index} refuses a second writer's
 * clashing append rather than letting two histories interleave.
 */
public final class TransparencyLogRepository {

    private final DataSource dataSource;

    TransparencyLogRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Appends {@code entry} as leaf {@code index}. */
    public void append(TransparencyEntry entry) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "INSERT INTO transparency_log (leaf_index, leaf_hash, entry, created_at) VALUES (?, ?, ?, ?)")) {
            s.setLong(1, entry.index());
            s.setString(2, entry.leafHash());
            s.setString(3, entry.entry());
            s.setLong(4, entry.createdAt());
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("append to the transparency log", e);
        }
    }

    /** Every leaf, in order. The log holds node identities (thousands, not millions), so it is read whole at start. */
    public List<TransparencyEntry> all() {
        return from(0);
    }

    /** The leaves from {@code index} on, in order (what another gateway on the same store appended). */
    public List<TransparencyEntry> from(long index) {
        List<TransparencyEntry> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT leaf_index, leaf_hash, entry, created_at "
                     + "FROM transparency_log WHERE leaf_index >= ? ORDER BY leaf_index")) {
            s.setLong(1, index);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new TransparencyEntry(r.getLong(1), r.getString(2), r.getString(3), r.getLong(4)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("read the transparency log", e);
        }
        return out;
    }
}
