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

/** The {@code usage_ledger} table: daily totals per key and model, kept for billing. Blocking JDBC. */
public final class UsageLedgerRepository {

    // ON CONFLICT ... DO UPDATE with "excluded" is the same syntax on SQLite (3.24+) and PostgreSQL (9.5+).
    private static final String UPSERT = "INSERT INTO usage_ledger "
            + "(key_id, day, model, requests, prompt_tokens, completion_tokens, cost_micros) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?) "
            + "ON CONFLICT (key_id, day, model) DO UPDATE SET "
            + "requests = usage_ledger.requests + excluded.requests, "
            + "prompt_tokens = usage_ledger.prompt_tokens + excluded.prompt_tokens, "
            + "completion_tokens = usage_ledger.completion_tokens + excluded.completion_tokens, "
            + "cost_micros = usage_ledger.cost_micros + excluded.cost_micros";

    private final DataSource dataSource;

    UsageLedgerRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Adds {@code increments} to the stored totals on the caller's connection, inside whatever transaction the
     * caller holds. Increments for the same (key, day, model) may appear more than once; each is added.
     *
     * @throws SQLException as the driver reports it; its message may quote values, so never log it
     */
    public void addAll(Connection connection, Collection<LedgerEntry> increments) throws SQLException {
        if (increments.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(UPSERT)) {
            for (LedgerEntry e : increments) {
                statement.setString(1, e.keyId());
                statement.setString(2, e.day().toString());
                statement.setString(3, e.model());
                statement.setLong(4, e.requests());
                statement.setLong(5, e.promptTokens());
                statement.setLong(6, e.completionTokens());
                statement.setLong(7, e.costMicros());
                statement.addBatch();
            }
            statement.executeBatch();
        }
    }

    /** The totals for a key between two UTC days, both inclusive, ordered by day then model. */
    public List<LedgerEntry> forKey(String keyId, LocalDate fromInclusive, LocalDate toInclusive) {
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(fromInclusive, "fromInclusive");
        Objects.requireNonNull(toInclusive, "toInclusive");
        return Jdbc.withConnection(dataSource, "read usage ledger for " + keyId, connection -> {
            // ISO yyyy-MM-dd strings sort like the dates they name, so the range is a plain string comparison.
            try (PreparedStatement statement = connection.prepareStatement(
                    "SELECT key_id, day, model, requests, prompt_tokens, completion_tokens, cost_micros "
                            + "FROM usage_ledger WHERE key_id = ? AND day >= ? AND day <= ? ORDER BY day, model")) {
                statement.setString(1, keyId);
                statement.setString(2, fromInclusive.toString());
                statement.setString(3, toInclusive.toString());
                try (ResultSet rows = statement.executeQuery()) {
                    List<LedgerEntry> entries = new ArrayList<>();
                    while (rows.next()) {
                        entries.add(read(rows));
                    }
                    return entries;
                }
            }
        });
    }

    private static LedgerEntry read(ResultSet rows) throws SQLException {
        return new LedgerEntry(
                rows.getString("key_id"),
                LocalDate.parse(rows.getString("day")),
                rows.getString("model"),
                rows.getLong("requests"),
                rows.getLong("prompt_tokens"),
                rows.getLong("completion_tokens"),
                rows.getLong("cost_micros"));
    }
}
