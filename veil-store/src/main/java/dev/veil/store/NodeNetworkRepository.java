package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The {@code join_tokens} and {@code node_registrations} tables. Blocking JDBC: call it on the worker pool. */
public final class NodeNetworkRepository {

    private final DataSource dataSource;

    NodeNetworkRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void insertToken(JoinTokenRecord token) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO join_tokens (id, token_hash, label, models, "
                     + "created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, NULL)")) {
            s.setString(1, token.id());
            s.setString(2, token.tokenHash());
            s.setString(3, token.label());
            s.setString(4, String.join("\n", token.models()));
            s.setLong(5, token.createdAt().toEpochMilli());
            setInstant(s, 6, token.expiresAt());
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("store a join token", e);
        }
    }

    public Optional<JoinTokenRecord> tokenByHash(String tokenHash) {
        List<JoinTokenRecord> found = tokens("WHERE token_hash = ?", tokenHash);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    public Optional<JoinTokenRecord> token(String id) {
        List<JoinTokenRecord> found = tokens("WHERE id = ?", id);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.getFirst());
    }

    /** Every token, newest first. */
    public List<JoinTokenRecord> tokens() {
        return tokens("", null);
    }

    /** Revokes the token; false when there is none with this id or it was revoked already. */
    public boolean revokeToken(String id, Instant now) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement(
                     "UPDATE join_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")) {
            s.setLong(1, now.toEpochMilli());
            s.setString(2, id);
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("revoke a join token", e);
        }
    }

    public void insertRegistration(NodeRegistrationRecord r) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("INSERT INTO node_registrations (id, token_id, name, base_url, "
                     + "models, state, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, r.id());
            s.setString(2, r.tokenId());
            s.setString(3, r.name());
            s.setString(4, r.baseUrl());
            s.setString(5, String.join("\n", r.models()));
            s.setString(6, r.state());
            s.setLong(7, r.joinedAt().toEpochMilli());
            s.setLong(8, r.updatedAt().toEpochMilli());
            s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("store a node registration", e);
        }
    }

    /** Every registration, oldest first. */
    public List<NodeRegistrationRecord> registrations() {
        List<NodeRegistrationRecord> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT id, token_id, name, base_url, models, state, joined_at, "
                     + "updated_at FROM node_registrations ORDER BY joined_at, id");
             ResultSet r = s.executeQuery()) {
            while (r.next()) {
                out.add(new NodeRegistrationRecord(r.getString(1), r.getString(2), r.getString(3), r.getString(4),
                        lines(r.getString(5)), r.getString(6), Instant.ofEpochMilli(r.getLong(7)),
                        Instant.ofEpochMilli(r.getLong(8))));
            }
        } catch (SQLException e) {
            throw new StoreException("read the node registrations", e);
        }
        return out;
    }

    /**
     * Moves an active registration to {@code state}; false when it is not active (already left, lost or banned), so a
     * ban is never undone by a later leave.
     */
    public boolean endRegistration(String id, String state, Instant now) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("UPDATE node_registrations SET state = ?, updated_at = ? "
                     + "WHERE id = ? AND state = 'active'")) {
            s.setString(1, state);
            s.setLong(2, now.toEpochMilli());
            s.setString(3, id);
            return s.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new StoreException("end a node registration", e);
        }
    }

    private List<JoinTokenRecord> tokens(String where, String arg) {
        List<JoinTokenRecord> out = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT id, token_hash, label, models, created_at, expires_at, "
                     + "revoked_at FROM join_tokens " + where + " ORDER BY created_at DESC, id")) {
            if (arg != null) {
                s.setString(1, arg);
            }
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new JoinTokenRecord(r.getString(1), r.getString(2), r.getString(3), lines(r.getString(4)),
                            Instant.ofEpochMilli(r.getLong(5)), instant(r, 6), instant(r, 7)));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("read join tokens", e);
        }
        return out;
    }

    private static List<String> lines(String text) {
        return text == null || text.isEmpty() ? List.of() : Arrays.asList(text.split("\n"));
    }

    private static Instant instant(ResultSet r, int column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    private static void setInstant(PreparedStatement s, int index, Instant value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.BIGINT);
        } else {
            s.setLong(index, value.toEpochMilli());
        }
    }
}
