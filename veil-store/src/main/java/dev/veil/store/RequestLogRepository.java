package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/** The {@code request_log} table: per-request metadata, purged after the retention period. Blocking JDBC. */
public final class RequestLogRepository {

    private static final String COLUMNS = "request_id, key_id, created_at, endpoint, model, route, mode, status, "
            + "latency_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens, cost_micros, usage_estimated";

    private final DataSource dataSource;

    RequestLogRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Inserts {@code records} as one JDBC batch on the caller's connection, inside whatever transaction the caller
     * holds, so it can be combined with ledger updates atomically.
     *
     * @throws SQLException as the driver reports it; its message may quote values, so never log it
     */
    public void insertBatch(Connection connection, List<RequestRecord> records) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(
                "INSERT INTO request_log (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (RequestRecord r : records) {
                statement.setString(1, r.requestId());
                statement.setString(2, r.keyId());
                statement.setLong(3, Jdbc.millis(r.createdAt()));
                statement.setString(4, r.endpoint());
                statement.setString(5, r.model());
                statement.setString(6, r.route());
                statement.setString(7, r.mode());
                statement.setInt(8, r.status());
                statement.setLong(9, r.latencyMs());
                Jdbc.setNullableLong(statement, 10, r.ttftMs());
                statement.setLong(11, r.promptTokens());
                statement.setLong(12, r.completionTokens());
                statement.setLong(13, r.totalTokens());
                statement.setLong(14, r.costMicros());
                statement.setInt(15, r.usageEstimated() ? 1 : 0);
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** Inserts {@code records} in one transaction. */
    public void insertAll(List<RequestRecord> records) {
        Objects.requireNonNull(records, "records");
        Jdbc.inTransaction(dataSource, "insert request log batch", connection -> {
            insertBatch(connection, records);
            return null;
        });
    }

    /**
     * Deletes rows created strictly before {@code cutoff}.
     *
     * @return the number of rows deleted
     */
    public int purgeOlderThan(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        return Jdbc.withConnection(dataSource, "purge request log", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(
                    "DELETE FROM request_log WHERE created_at < ?")) {
                statement.setLong(1, Jdbc.millis(cutoff));
                return statement.executeUpdate();
            }
        });
    }

    /** The number of rows currently held. */
    public long count() {
        return Jdbc.withConnection(dataSource, "count request log", connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT COUNT(*) FROM request_log");
                 ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    /** The newest {@code limit} rows for a key, newest first. */
    public List<RequestRecord> recentForKey(String keyId, int limit) {
        Objects.requireNonNull(keyId, "keyId");
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative");
        }
        return Jdbc.withConnection(dataSource, "read request log for " + keyId, connection -> {
            try (PreparedStatement statement = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM request_log WHERE key_id = ? ORDER BY created_at DESC, request_id DESC LIMIT ?")) {
                statement.setString(1, keyId);
                statement.setInt(2, limit);
                try (ResultSet rows = statement.executeQuery()) {
                    List<RequestRecord> records = new ArrayList<>();
                    while (rows.next()) {
                        records.add(read(rows));
                    }
                    return records;
                }
            }
        });
    }

    private static RequestRecord read(ResultSet rows) throws SQLException {
        return new RequestRecord(
                rows.getString("request_id"),
                rows.getString("key_id"),
                Jdbc.instant(rows.getLong("created_at")),
                rows.getString("endpoint"),
                rows.getString("model"),
                rows.getString("route"),
                rows.getString("mode"),
                rows.getInt("status"),
                rows.getLong("latency_ms"),
                Jdbc.getNullableLong(rows, "ttft_ms"),
                rows.getLong("prompt_tokens"),
                rows.getLong("completion_tokens"),
                rows.getLong("total_tokens"),
                rows.getLong("cost_micros"),
                rows.getInt("usage_estimated") != 0);
    }
}
