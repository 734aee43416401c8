package dev.veil.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/** Dashboard sessions ({@code dashboard_sessions}), looked up by the hash of their id. Blocking JDBC. */
public final class DashboardSessionRepository {

    private final DataSource dataSource;

    DashboardSessionRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores a new session. */
    public void insert(DashboardSession session) {
        Objects.requireNonNull(session, "session");
        Jdbc.withConnection(dataSource, "insert dashboard session", connection -> {
            try (PreparedStatement s = connection.prepareStatement("INSERT INTO dashboard_sessions "
                    + "(id_hash, role, key_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")) {
                s.setString(1, session.idHash());
                s.setString(2, session.role());
                s.setString(3, session.keyId());
                s.setLong(4, Jdbc.millis(session.createdAt()));
                s.setLong(5, Jdbc.millis(session.expiresAt()));
                return s.executeUpdate();
            }
        });
    }

    /** The session with this id hash if it exists and has not expired at {@code now}. */
    public Optional<DashboardSession> findLive(String idHash, Instant now) {
        Objects.requireNonNull(idHash, "idHash");
        return Jdbc.withConnection(dataSource, "read dashboard session", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT id_hash, role, key_id, created_at, expires_at "
                    + "FROM dashboard_sessions WHERE id_hash = ? AND expires_at > ?")) {
                s.setString(1, idHash);
                s.setLong(2, Jdbc.millis(now));
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.<DashboardSession>empty();
                    }
                    return Optional.of(new DashboardSession(rows.getString("id_hash"), rows.getString("role"),
                            rows.getString("key_id"), Jdbc.instant(rows.getLong("created_at")),
                            Jdbc.instant(rows.getLong("expires_at"))));
                }
            }
        });
    }

    /** Ends a session (logout); {@code true} when it existed. */
    public boolean delete(String idHash) {
        Objects.requireNonNull(idHash, "idHash");
        return Jdbc.withConnection(dataSource, "delete dashboard session", connection -> {
            try (PreparedStatement s = connection.prepareStatement("DELETE FROM dashboard_sessions WHERE id_hash = ?")) {
                s.setString(1, idHash);
                return s.executeUpdate() > 0;
            }
        });
    }

    /** Deletes the sessions that expired by {@code now}; returns how many. */
    public int purgeExpired(Instant now) {
        return Jdbc.withConnection(dataSource, "purge dashboard sessions", connection -> {
            try (PreparedStatement s = connection.prepareStatement("DELETE FROM dashboard_sessions WHERE expires_at <= ?")) {
                s.setLong(1, Jdbc.millis(now));
                return s.executeUpdate();
            }
        });
    }
}
