package dev.veil.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The {@code batches} table. Status changes are conditional updates (from one of the given states), so the HTTP API
 * and the runner never overwrite each other's transitions. Blocking JDBC; run on a worker pool.
 */
public final class BatchRepository {

    private static final String COLUMNS = "id, key_id, endpoint, completion_window, input_file_id, output_file_id, "
            + "error_file_id, status, metadata_sealed, client_public_key, output_ttl_ms, total, completed, failed, "
            + "next_line, error_code, created_at, in_progress_at, finalizing_at, completed_at, failed_at, expired_at, "
            + "cancelling_at, cancelled_at, expires_at";
    private static final Set<String> TIME_COLUMNS = Set.of("in_progress_at", "finalizing_at", "completed_at",
            "failed_at", "expired_at", "cancelling_at", "cancelled_at");

    private final DataSource dataSource;
    private final RequestLogRepository requests;
    private final UsageLedgerRepository ledger;

    private final boolean postgres;

    BatchRepository(DataSource dataSource, String vendor, RequestLogRepository requests, UsageLedgerRepository ledger) {
        this.dataSource = dataSource;
        this.postgres = StoreSettings.POSTGRESQL.equals(vendor);
        this.requests = requests;
        this.ledger = ledger;
    }

    /**
     * Creates a batch and claims its input file in one transaction.
     *
     * @return false (nothing written) when the input is not a readable, unused input file of the batch's key
     */
    public boolean create(BatchRecord batch) {
        return Jdbc.inTransaction(dataSource, "create batch " + batch.id(), connection -> {
            if (!BatchFileRepository.claim(connection, batch.inputFileId(), batch.keyId(), batch.id())) {
                connection.rollback();
                return false;
            }
            try (PreparedStatement s = connection.prepareStatement("INSERT INTO batches (" + COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                int i = 1;
                s.setString(i++, batch.id());
                s.setString(i++, batch.keyId());
                s.setString(i++, batch.endpoint());
                s.setString(i++, batch.completionWindow());
                s.setString(i++, batch.inputFileId());
                BatchFileRepository.setNullableString(s, i++, batch.outputFileId());
                BatchFileRepository.setNullableString(s, i++, batch.errorFileId());
                s.setString(i++, batch.status());
                BatchFileRepository.setNullableString(s, i++, batch.metadataSealed());
                BatchFileRepository.setNullableString(s, i++, batch.clientPublicKey());
                s.setLong(i++, batch.outputTtlMs());
                s.setLong(i++, batch.total());
                s.setLong(i++, batch.completed());
                s.setLong(i++, batch.failed());
                s.setLong(i++, batch.nextLine());
                BatchFileRepository.setNullableString(s, i++, batch.errorCode());
                s.setLong(i++, batch.createdAt());
                for (Long t : new Long[] {batch.inProgressAt(), batch.finalizingAt(), batch.completedAt(), batch.failedAt(),
                        batch.expiredAt(), batch.cancellingAt(), batch.cancelledAt()}) {
                    Jdbc.setNullableLong(s, i++, t);
                }
                s.setLong(i, batch.expiresAt());
                s.executeUpdate();
            }
            return true;
        });
    }

    public Optional<BatchRecord> find(String id) {
        return Jdbc.withConnection(dataSource, "find batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS + " FROM batches WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(read(rows)) : Optional.empty();
                }
            }
        });
    }

    /** A key's batches, newest first, after the batch {@code afterId} when given. */
    public List<BatchRecord> listForKey(String keyId, String afterId, int limit) {
        return Jdbc.withConnection(dataSource, "list batches", connection -> {
            BatchRecord after = null;
            if (afterId != null) {
                try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS + " FROM batches WHERE id = ? AND key_id = ?")) {
                    s.setString(1, afterId);
                    s.setString(2, keyId);
                    try (ResultSet rows = s.executeQuery()) {
                        after = rows.next() ? read(rows) : null;
                    }
                }
            }
            String sql = "SELECT " + COLUMNS + " FROM batches WHERE key_id = ?"
                    + (after == null ? "" : " AND (created_at < ? OR (created_at = ? AND id < ?))")
                    + " ORDER BY created_at DESC, id DESC LIMIT ?";
            try (PreparedStatement s = connection.prepareStatement(sql)) {
                int i = 1;
                s.setString(i++, keyId);
                if (after != null) {
                    s.setLong(i++, after.createdAt());
                    s.setLong(i++, after.createdAt());
                    s.setString(i++, after.id());
                }
                s.setInt(i, limit);
                return list(s);
            }
        });
    }

    /**
     * Batches of every key (or of {@code keyId}), optionally only those in {@code status}, newest first, after the
     * batch {@code afterId} when given: the operator's view.
     */
    public List<BatchRecord> listAll(String keyId, String status, String afterId, int limit) {
        return Jdbc.withConnection(dataSource, "list all batches", connection -> {
            BatchRecord after = null;
            if (afterId != null) {
                try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS + " FROM batches WHERE id = ?")) {
                    s.setString(1, afterId);
                    try (ResultSet rows = s.executeQuery()) {
                        after = rows.next() ? read(rows) : null;
                    }
                }
            }
            String sql = "SELECT " + COLUMNS + " FROM batches WHERE 1 = 1"
                    + (keyId == null ? "" : " AND key_id = ?")
                    + (status == null ? "" : " AND status = ?")
                    + (after == null ? "" : " AND (created_at < ? OR (created_at = ? AND id < ?))")
                    + " ORDER BY created_at DESC, id DESC LIMIT ?";
            try (PreparedStatement s = connection.prepareStatement(sql)) {
                int i = 1;
                if (keyId != null) {
                    s.setString(i++, keyId);
                }
                if (status != null) {
                    s.setString(i++, status);
                }
                if (after != null) {
                    s.setLong(i++, after.createdAt());
                    s.setLong(i++, after.createdAt());
                    s.setString(i++, after.id());
                }
                s.setInt(i, limit);
                return list(s);
            }
        });
    }

    /** Batches not yet in a terminal state, oldest first: what a starting gateway resumes. */
    public List<BatchRecord> unfinished() {
        return Jdbc.withConnection(dataSource, "list unfinished batches", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM batches WHERE status NOT IN (?, ?, ?, ?) ORDER BY created_at, id")) {
                int i = 1;
                for (String status : BatchRecord.TERMINAL.stream().sorted().toList()) {
                    s.setString(i++, status);
                }
                return list(s);
            }
        });
    }

    /** Terminal batches that ended before {@code cutoff}: their records are due for deletion. */
    public List<BatchRecord> endedBefore(long cutoff, int limit) {
        return Jdbc.withConnection(dataSource, "list ended batches", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS + " FROM batches WHERE "
                    + "COALESCE(completed_at, failed_at, expired_at, cancelled_at) < ? LIMIT ?")) {
                s.setLong(1, cutoff);
                s.setInt(2, limit);
                return list(s);
            }
        });
    }

    /**
     * Moves a batch to {@code to} if it is in one of {@code from}, stamping {@code timeColumn} (e.g.
     * {@code cancelling_at}) with {@code at}.
     *
     * @return whether the transition happened
     */
    public boolean transition(String id, Set<String> from, String to, String timeColumn, long at) {
        if (timeColumn != null && !TIME_COLUMNS.contains(timeColumn)) {
            throw new IllegalArgumentException("not a time column");
        }
        return Jdbc.withConnection(dataSource, "move batch " + id + " to " + to, connection -> {
            StringBuilder sql = new StringBuilder("UPDATE batches SET status = ?");
            if (timeColumn != null) {
                sql.append(", ").append(timeColumn).append(" = ?");
            }
            sql.append(" WHERE id = ? AND status IN (").append("?, ".repeat(from.size() - 1)).append("?)");
            try (PreparedStatement s = connection.prepareStatement(sql.toString())) {
                int i = 1;
                s.setString(i++, to);
                if (timeColumn != null) {
                    s.setLong(i++, at);
                }
                s.setString(i++, id);
                for (String status : from) {
                    s.setString(i++, status);
                }
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Marks a batch failed as a whole with a fixed code, if it has not ended yet. */
    public boolean fail(String id, String errorCode, long at) {
        return Jdbc.withConnection(dataSource, "fail batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement("UPDATE batches SET status = ?, error_code = ?, "
                    + "failed_at = ? WHERE id = ? AND status NOT IN (?, ?, ?, ?)")) {
                int i = 1;
                s.setString(i++, BatchRecord.FAILED);
                s.setString(i++, errorCode);
                s.setLong(i++, at);
                s.setString(i++, id);
                for (String status : BatchRecord.TERMINAL.stream().sorted().toList()) {
                    s.setString(i++, status);
                }
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Records the number of requests once the input has been read through. */
    public void setTotal(String id, long total) {
        Jdbc.withConnection(dataSource, "count batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement("UPDATE batches SET total = ? WHERE id = ?")) {
                s.setLong(1, total);
                s.setString(2, id);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Creates the output and error files of a batch (pending, not yet readable) with their data keys, and records their
     * ids on the batch, in one transaction.
     */
    public void attachOutputs(String batchId, BatchFileRecord output, FileKeyRecord outputKey, BatchFileRecord errors,
                              FileKeyRecord errorsKey) {
        Jdbc.inTransaction(dataSource, "attach outputs of batch " + batchId, connection -> {
            BatchFileRepository.insert(connection, output, outputKey);
            BatchFileRepository.insert(connection, errors, errorsKey);
            try (PreparedStatement s = connection.prepareStatement(
                    "UPDATE batches SET output_file_id = ?, error_file_id = ? WHERE id = ?")) {
                s.setString(1, output.id());
                s.setString(2, errors.id());
                s.setString(3, batchId);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Commits one chunk of progress in one transaction: the resume point and counters of the batch, the part counts
     * and sizes of its output and error files, and the metering of the chunk's lines (their request_log rows and
     * usage_ledger increments). Parts on disk beyond these counts are not part of the files. Because the metering
     * commits with the progress, a crash either keeps both (the lines are not run again) or neither (the lines are run
     * again on resume and metered then): every line that is in a result file is billed exactly once.
     *
     * @param metered the request records of the lines this chunk ran (new request ids: none was written before)
     */
    public void commitProgress(String batchId, long nextLine, long completed, long failed, String outputFileId,
                               int outputParts, long outputBytes, String errorFileId, int errorParts, long errorBytes,
                               List<RequestRecord> metered) {
        commitProgress(null, batchId, nextLine, completed, failed, outputFileId, outputParts, outputBytes, errorFileId,
                errorParts, errorBytes, metered);
    }

    /**
     * As {@link #commitProgress(String, long, long, long, String, int, long, String, int, long, List)}, fenced by the
     * batch's lease: the transaction commits only while {@code leaseOwner} holds the batch (checked with the row
     * locked, see {@link BatchLeaseRepository}), so an instance that lost its lease (it stalled past the lease and
     * another instance took the batch over) can never move the batch's progress, counters or metering.
     *
     * @param leaseOwner the instance that must hold the lease; null for no check
     * @return false (nothing written) when {@code leaseOwner} does not hold the batch
     */
    public boolean commitProgress(String leaseOwner, String batchId, long nextLine, long completed, long failed,
                                  String outputFileId, int outputParts, long outputBytes, String errorFileId,
                                  int errorParts, long errorBytes, List<RequestRecord> metered) {
        return Jdbc.inTransaction(dataSource, "commit progress of batch " + batchId, connection -> {
            if (leaseOwner != null && !BatchLeaseRepository.holds(connection, postgres, batchId, leaseOwner)) {
                connection.rollback();
                return false;
            }
            requests.insertBatch(connection, metered);
            ledger.addAll(connection, LedgerEntry.aggregate(metered));
            try (PreparedStatement s = connection.prepareStatement(
                    "UPDATE batches SET next_line = ?, completed = ?, failed = ? WHERE id = ?")) {
                s.setLong(1, nextLine);
                s.setLong(2, completed);
                s.setLong(3, failed);
                s.setString(4, batchId);
                s.executeUpdate();
            }
            BatchFileRepository.setParts(connection, outputFileId, outputParts, outputBytes);
            BatchFileRepository.setParts(connection, errorFileId, errorParts, errorBytes);
            return true;
        });
    }

    /** Clears an output or error file id (the file had no lines and was removed). */
    public void clearFile(String batchId, String column) {
        if (!column.equals("output_file_id") && !column.equals("error_file_id")) {
            throw new IllegalArgumentException("not a file column");
        }
        Jdbc.withConnection(dataSource, "clear file of batch " + batchId, connection -> {
            try (PreparedStatement s = connection.prepareStatement("UPDATE batches SET " + column + " = NULL WHERE id = ?")) {
                s.setString(1, batchId);
                s.executeUpdate();
            }
            return null;
        });
    }

    public void delete(String id) {
        Jdbc.withConnection(dataSource, "delete batch " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement("DELETE FROM batches WHERE id = ?")) {
                s.setString(1, id);
                s.executeUpdate();
            }
            return null;
        });
    }

    private static List<BatchRecord> list(PreparedStatement s) throws SQLException {
        try (ResultSet rows = s.executeQuery()) {
            List<BatchRecord> out = new ArrayList<>();
            while (rows.next()) {
                out.add(read(rows));
            }
            return out;
        }
    }

    private static BatchRecord read(ResultSet r) throws SQLException {
        return new BatchRecord(r.getString("id"), r.getString("key_id"), r.getString("endpoint"),
                r.getString("completion_window"), r.getString("input_file_id"), r.getString("output_file_id"),
                r.getString("error_file_id"), r.getString("status"), r.getString("metadata_sealed"),
                r.getString("client_public_key"), r.getLong("output_ttl_ms"), r.getLong("total"), r.getLong("completed"),
                r.getLong("failed"), r.getLong("next_line"), r.getString("error_code"), r.getLong("created_at"),
                Jdbc.getNullableLong(r, "in_progress_at"), Jdbc.getNullableLong(r, "finalizing_at"),
                Jdbc.getNullableLong(r, "completed_at"), Jdbc.getNullableLong(r, "failed_at"),
                Jdbc.getNullableLong(r, "expired_at"), Jdbc.getNullableLong(r, "cancelling_at"),
                Jdbc.getNullableLong(r, "cancelled_at"), r.getLong("expires_at"));
    }

}
