package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The {@code request_totals} table: what the request log keeps for keys in {@code daily_totals} mode, one row per key,
 * UTC day, endpoint, model, route and status class. Purged with the request log. Blocking JDBC.
 */
public final class RequestTotalsRepository {

    /** Stored for "no route was chosen": the column is part of the primary key, so it cannot be NULL. */
    static final String NO_ROUTE = "";

    // ON CONFLICT ... DO UPDATE with "excluded" is the same syntax on SQLite (3.24+) and PostgreSQL (9.5+).
    private static final String UPSERT = "INSERT INTO request_totals "
            + "(key_id, day, endpoint, model, route, status_class, requests, prompt_tokens, completion_tokens, "
            + "total_tokens, cost_micros) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            + "ON CONFLICT (key_id, day, endpoint, model, route, status_class) DO UPDATE SET "
            + "requests = request_totals.requests + excluded.requests, "
            + "prompt_tokens = request_totals.prompt_tokens + excluded.prompt_tokens, "
            + "completion_tokens = request_totals.completion_tokens + excluded.completion_tokens, "
            + "total_tokens = request_totals.total_tokens + excluded.total_tokens, "
            + "cost_micros = request_totals.cost_micros + excluded.cost_micros";

    private final DataSource dataSource;

    RequestTotalsRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Adds {@code increments} to the stored totals on the caller's connection, inside whatever transaction the caller
     * holds.
     *
     * @throws SQLException as the driver reports it; its message may quote values, so never log it
     */
    void addAll(Connection connection, Collection<RequestTotal> increments) throws SQLException {
        if (increments.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(UPSERT)) {
            for (RequestTotal t : increments) {
                statement.setString(1, t.keyId());
                statement.setString(2, t.day().toString());
                statement.setString(3, t.endpoint());
                statement.setString(4, t.model());
                statement.setString(5, t.route() == null ? NO_ROUTE : t.route());
                statement.setString(6, t.statusClass());
                statement.setLong(7, t.requests());
                statement.setLong(8, t.promptTokens());
                statement.setLong(9, t.completionTokens());
                statement.setLong(10, t.totalTokens());
                statement.setLong(11, t.costMicros());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /**
     * Deletes the totals of days that ended at or before {@code cutoff} (days strictly before it), for every key or,
     * when {@code keyId} is not {@code null}, for that key only.
     *
     * @return the number of rows deleted
     */
    int purgeBefore(Connection connection, LocalDate cutoff, String keyId) throws SQLException {
        String sql = "DELETE FROM request_totals WHERE day < ?" + (keyId == null ? "" : " AND key_id = ?");
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            // ISO yyyy-MM-dd strings sort like the dates they name.
            statement.setString(1, cutoff.toString());
            if (keyId != null) {
                statement.setString(2, keyId);
            }
            return statement.executeUpdate();
        }
    }

    /** The totals for a key between two UTC days, both inclusive, ordered by their key columns. */
    public List<RequestTotal> forKey(String keyId, LocalDate fromInclusive, LocalDate toInclusive) {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(fromInclusive, "fromInclusive");
        Objects.requireNonNull(toInclusive, "toInclusive");
        return Jdbc.withConnection(dataSource, "read request totals for " + keyId, connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT key_id, day, endpoint, model, route, status_class, requests, prompt_tokens, "
                            + "completion_tokens, total_tokens, cost_micros FROM request_totals "
                            + "WHERE key_id = ? AND day >= ? AND day <= ? "
                            + "ORDER BY day, endpoint, model, route, status_class")) {
                statement.setString(1, keyId);
                statement.setString(2, fromInclusive.toString());
                statement.setString(3, toInclusive.toString());
                try (ResultSet rows = statement.executeQuery()) {
                    List<RequestTotal> totals = new ArrayList<>();
                    while (rows.next()) {
                        String route = rows.getString("route");
                        totals.add(new RequestTotal(rows.getString("key_id"), LocalDate.parse(rows.getString("day")),
                                rows.getString("endpoint"), rows.getString("model"),
                                NO_ROUTE.equals(route) ? null : route, rows.getString("status_class"),
                                rows.getLong("requests"), rows.getLong("prompt_tokens"),
                                rows.getLong("completion_tokens"), rows.getLong("total_tokens"),
                                rows.getLong("cost_micros")));
                    }
                    return totals;
                }
            }
        });
    }
    /** The totals of every key, or of {@code keyId} when given, between two UTC days, both inclusive. */
    public List<RequestTotal> between(LocalDate fromInclusive, LocalDate toInclusive, String keyId) {
        Objects.requireNonNull(fromInclusive, "fromInclusive");
        Objects.requireNonNull(toInclusive, "toInclusive");
        return Jdbc.withConnection(dataSource, "read request totals", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT key_id, day, endpoint, model, route, status_class, requests, prompt_tokens, "
                            + "completion_tokens, total_tokens, cost_micros FROM request_totals "
                            + "WHERE day >= ? AND day <= ?" + (keyId == null ? "" : " AND key_id = ?")
                            + " ORDER BY day, key_id, endpoint, model, route, status_class")) {
                statement.setString(1, fromInclusive.toString());
                statement.setString(2, toInclusive.toString());
                if (keyId != null) {
                    statement.setString(3, keyId);
                }
                try (ResultSet rows = statement.executeQuery()) {
                    List<RequestTotal> totals = new ArrayList<>();
                    while (rows.next()) {
                        String route = rows.getString("route");
                        totals.add(new RequestTotal(rows.getString("key_id"), LocalDate.parse(rows.getString("day")),
                                rows.getString("endpoint"), rows.getString("model"),
                                NO_ROUTE.equals(route) ? null : route, rows.getString("status_class"),
                                rows.getLong("requests"), rows.getLong("prompt_tokens"),
                                rows.getLong("completion_tokens"), rows.getLong("total_tokens"),
                                rows.getLong("cost_micros")));
                    }
                    return totals;
                }
            }
        });
    }
}
