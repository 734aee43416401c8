package dev.veil.store;

import dev.veil.protocol.RequestLogMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/**
 * The request log: per-request metadata in {@code request_log}, or for keys in {@code daily_totals} mode only
 * daily totals in {@code request_totals}; both purged after the retention period. Blocking JDBC.
 */
public final class RequestLogRepository {

    private static final String COLUMNS = "request_id, key_id, created_at, endpoint, model, route, mode, status, "
            + "latency_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens, cost_micros, usage_estimated";
    private static final String INSERT =
            "INSERT INTO request_log (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    /**
     * SQLite numbers rows in insertion order (the hidden rowid), which would tell a coarse-time row's arrival order
     * among other keys' rows to the second. Rows with coarse time get a random negative rowid instead: their position
     * in the table says nothing, and rows kept in full keep appending after the largest (positive) rowid.
     */
    /**
     * Full rows on SQLite: after the largest positive rowid, named explicitly. Left to SQLite, a row gets the largest
     * rowid plus one, which is negative while only coarse rows are in the table, and the full rows would then sit
     * among them.
     */
    private static final String INSERT_APPENDED_SQLITE = "INSERT INTO request_log (rowid, " + COLUMNS + ") VALUES "
            + "((SELECT COALESCE(MAX(rowid), 0) + 1 FROM request_log WHERE rowid > 0), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            + " ?, ?, ?, ?)";
    private static final String INSERT_UNORDERED_SQLITE =
            "INSERT INTO request_log (rowid, " + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final DataSource dataSource;
    private final boolean sqlite;
    private final RequestTotalsRepository totals;

    RequestLogRepository(DataSource dataSource, String vendor) {
        this.dataSource = dataSource;
        this.sqlite = StoreSettings.SQLITE.equals(vendor);
        this.totals = new RequestTotalsRepository(dataSource);
    }

    /** The daily totals kept for keys in {@code daily_totals} mode. */
    public RequestTotalsRepository totals() {
        return totals;
    }

    /**
     * Writes {@code records} on the caller's connection, inside whatever transaction the caller holds, so it can be
     * combined with ledger updates atomically: each as its {@link RequestRecord#logMode()} allows (a row with full or
     * coarse time, or only an increment of the daily totals).
     *
     * @throws SQLException as the driver reports it; its message may quote values, so never log it
     */
    public void insertBatch(Connection connection, List<RequestRecord> records) throws SQLException {
        if (records.isEmpty()) {
            return;
        }
        List<RequestRecord> coarse = new ArrayList<>(0);
        List<RequestRecord> totalsOnly = new ArrayList<>(0);
        try (PreparedStatement statement = connection.prepareStatement(sqlite ? INSERT_APPENDED_SQLITE : INSERT)) {
            int rows = 0;
            for (RequestRecord r : records) {
                if (r.logMode() == RequestLogMode.DAILY_TOTALS) {
                    totalsOnly.add(r);
                } else if (r.logMode() != RequestLogMode.FULL && sqlite) {
                    coarse.add(r);
                } else {
                    // Full rows, and coarse rows on PostgreSQL (no rowid; see docs/privacy.md on row order).
                    bind(statement, 1, r);
                    statement.addBatch();
                    rows++;
                }
            }
            if (rows > 0) {
                statement.executeBatch();
            }
        }
        if (!coarse.isEmpty()) {
            try (PreparedStatement statement = connection.prepareStatement(INSERT_UNORDERED_SQLITE)) {
                for (RequestRecord r : coarse) {
                    // In [-2^62, -1]: never collides with the positive rowids of appended rows.
                    statement.setLong(1, -1 - (ThreadLocalRandom.current().nextLong() >>> 2));
                    bind(statement, 2, r);
                    statement.addBatch();
                }
                statement.executeBatch();
            }
        }
        if (!totalsOnly.isEmpty()) {
            totals.addAll(connection, RequestTotal.aggregate(totalsOnly));
        }
    }

    /** Binds a record's columns, in {@link #COLUMNS} order, from parameter {@code first} on. */
    private static void bind(PreparedStatement statement, int first, RequestRecord r) throws SQLException {
        statement.setString(first, r.requestId());
        statement.setString(first + 1, r.keyId());
        statement.setLong(first + 2, Jdbc.millis(r.createdAt()));
        statement.setString(first + 3, r.endpoint());
        statement.setString(first + 4, r.model());
        statement.setString(first + 5, r.route());
        statement.setString(first + 6, r.mode());
        statement.setInt(first + 7, r.status());
        statement.setLong(first + 8, r.latencyMs());
        Jdbc.setNullableLong(statement, first + 9, r.ttftMs());
        statement.setLong(first + 10, r.promptTokens());
        statement.setLong(first + 11, r.completionTokens());
        statement.setLong(first + 12, r.totalTokens());
        statement.setLong(first + 13, r.costMicros());
        statement.setInt(first + 14, r.usageEstimated() ? 1 : 0);
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
     * Deletes rows created strictly before {@code cutoff}, and daily totals of days that ended by then.
     *
     * @return the number of rows deleted
     */
    public int purgeOlderThan(Instant cutoff) {
        return purge(cutoff, null);
    }

    /**
     * Deletes {@code keyId}'s rows created strictly before {@code cutoff}, and its daily totals of days that ended by
     * then (a key's own, shorter retention).
     *
     * @return the number of rows deleted
     */
    public int purgeKeyOlderThan(String keyId, Instant cutoff) {
        return purge(cutoff, Objects.requireNonNull(keyId, "keyId"));
    }

    private int purge(Instant cutoff, String keyId) {
        Objects.requireNonNull(cutoff, "cutoff");
        String operation = keyId == null ? "purge request log" : "purge request log of " + keyId;
        return Jdbc.inTransaction(dataSource, operation, connection -> {
            String sql = "DELETE FROM request_log WHERE created_at < ?" + (keyId == null ? "" : " AND key_id = ?");
            int deleted;
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setLong(1, Jdbc.millis(cutoff));
                if (keyId != null) {
                    statement.setString(2, keyId);
                }
                deleted = statement.executeUpdate();
            }
            return deleted + totals.purgeBefore(connection, LocalDate.ofInstant(cutoff, ZoneOffset.UTC), keyId);
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

    /**
     * The newest {@code limit} rows for a key, newest first. The log mode is not stored, so the records read back
     * say {@link RequestLogMode#FULL}; their times are what was stored.
     */
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

    /**
     * One page of the rows {@code query} selects, newest first (by time, then request id), starting after the row
     * {@code afterCreatedAt}/{@code afterRequestId} of the previous page when given.
     *
     * @param limit at most this many rows, 1 to 1,000
     */
    public List<RequestRecord> page(RequestLogQuery query, Instant afterCreatedAt, String afterRequestId, int limit) {
        Objects.requireNonNull(query, "query");
        if (limit < 1 || limit > 1_000) {
            throw new IllegalArgumentException("limit must be 1 to 1000");
        }
        if ((afterCreatedAt == null) != (afterRequestId == null)) {
            throw new IllegalArgumentException("a page cursor needs both its time and its request id");
        }
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM request_log WHERE ");
        query.where(sql);
        if (afterCreatedAt != null) {
            sql.append(" AND (created_at < ? OR (created_at = ? AND request_id < ?))");
        }
        sql.append(" ORDER BY created_at DESC, request_id DESC LIMIT ?");
        return Jdbc.withConnection(dataSource, "read a request log page", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
                int i = query.bind(statement, 1);
                if (afterCreatedAt != null) {
                    statement.setLong(i++, Jdbc.millis(afterCreatedAt));
                    statement.setLong(i++, Jdbc.millis(afterCreatedAt));
                    statement.setString(i++, afterRequestId);
                }
                statement.setInt(i, limit);
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

    /**
     * Hands the rows {@code query} selects to {@code visitor}, newest first, at most {@code maxRows} of them, reading
     * them as a stream (memory does not grow with the number of rows).
     *
     * @return how many rows were handed over
     */
    public long scan(RequestLogQuery query, long maxRows, java.util.function.Consumer<RequestRecord> visitor) {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(visitor, "visitor");
        StringBuilder sql = new StringBuilder("SELECT ").append(COLUMNS).append(" FROM request_log WHERE ");
        query.where(sql);
        sql.append(" ORDER BY created_at DESC LIMIT ?");
        // In a transaction: PostgreSQL's driver streams with a fetch size only outside auto-commit.
        return Jdbc.inTransaction(dataSource, "scan the request log", connection -> {
            try (PreparedStatement statement = connection.prepareStatement(sql.toString())) {
                int i = query.bind(statement, 1);
                statement.setLong(i, maxRows);
                statement.setFetchSize(1_000);
                long count = 0;
                try (ResultSet rows = statement.executeQuery()) {
                    while (rows.next()) {
                        visitor.accept(read(rows));
                        count++;
                    }
                }
                return count;
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
                RequestLogMode.FULL,
                rows.getInt("usage_estimated") != 0);
    }
}
