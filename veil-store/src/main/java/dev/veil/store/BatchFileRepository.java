package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/** The {@code batch_files} and {@code batch_file_keys} tables. Blocking JDBC; run on a worker pool. */
public final class BatchFileRepository {

    static final String COLUMNS = "id, key_id, purpose, status, name_sealed, bytes, parts, client_sealed, batch_id, "
            + "created_at, expires_at";

    private final DataSource dataSource;

    BatchFileRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores a new file and its wrapped data key in one transaction. */
    public void insert(BatchFileRecord file, FileKeyRecord key) {
        Jdbc.inTransaction(dataSource, "insert file " + file.id(), connection -> {
            insert(connection, file, key);
            return null;
        });
    }

    static void insert(Connection connection, BatchFileRecord file, FileKeyRecord key) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(
                "INSERT INTO batch_file_keys (file_id, key_ref, wrapped_key, created_at) VALUES (?, ?, ?, ?)")) {
            s.setString(1, key.fileId());
            s.setString(2, key.keyRef());
            s.setString(3, key.wrappedKey());
            s.setLong(4, key.createdAt());
            s.executeUpdate();
        }
        try (PreparedStatement s = connection.prepareStatement(
                "INSERT INTO batch_files (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, file.id());
            s.setString(2, file.keyId());
            s.setString(3, file.purpose());
            s.setString(4, file.status());
            setNullableString(s, 5, file.nameSealed());
            s.setLong(6, file.bytes());
            s.setInt(7, file.parts());
            s.setInt(8, file.clientSealed() ? 1 : 0);
            setNullableString(s, 9, file.batchId());
            s.setLong(10, file.createdAt());
            Jdbc.setNullableLong(s, 11, file.expiresAt());
            s.executeUpdate();
        }
    }

    public Optional<BatchFileRecord> find(String id) {
        return Jdbc.withConnection(dataSource, "find file " + id, connection -> find(connection, id));
    }

    static Optional<BatchFileRecord> find(Connection connection, String id) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS + " FROM batch_files WHERE id = ?")) {
            s.setString(1, id);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? Optional.of(read(rows)) : Optional.empty();
            }
        }
    }

    /** The file's wrapped data key; empty once the file has been shredded. */
    public Optional<FileKeyRecord> findKey(String fileId) {
        return Jdbc.withConnection(dataSource, "find key of file " + fileId, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT file_id, key_ref, wrapped_key, created_at FROM batch_file_keys WHERE file_id = ?")) {
                s.setString(1, fileId);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(new FileKeyRecord(rows.getString(1), rows.getString(2),
                            rows.getString(3), rows.getLong(4))) : Optional.empty();
                }
            }
        });
    }

    /**
     * A key's readable files, newest first (or oldest first with {@code ascending}), after the file {@code afterId}
     * in that order when given.
     */
    public List<BatchFileRecord> listForKey(String keyId, String purpose, String afterId, int limit, boolean ascending) {
        return Jdbc.withConnection(dataSource, "list files", connection -> {
            String order = ascending ? "ASC" : "DESC";
            String cmp = ascending ? ">" : "<";
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM batch_files WHERE key_id = ? AND status = ?");
            if (purpose != null) {
                sql.append(" AND purpose = ?");
            }
            BatchFileRecord after = afterId == null ? null : find(connection, afterId).filter(f -> f.keyId().equals(keyId)).orElse(null);
            if (after != null) {
                sql.append(" AND (created_at ").append(cmp).append(" ? OR (created_at = ? AND id ").append(cmp).append(" ?))");
            }
            sql.append(" ORDER BY created_at ").append(order).append(", id ").append(order).append(" LIMIT ?");
            try (PreparedStatement s = connection.prepareStatement(sql.toString())) {
                int i = 1;
                s.setString(i++, keyId);
                s.setString(i++, BatchFileRecord.PROCESSED);
                if (purpose != null) {
                    s.setString(i++, purpose);
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

    /** An upload finished: the file becomes readable. */
    public boolean markProcessed(String id, long bytes, Long expiresAt) {
        return markProcessed(id, bytes, expiresAt, null);
    }

    /** As {@link #markProcessed(String, long, Long)}, also storing the (encrypted) file name when given. */
    public boolean markProcessed(String id, long bytes, Long expiresAt, String nameSealed) {
        return Jdbc.withConnection(dataSource, "finish upload of file " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement("UPDATE batch_files SET status = ?, bytes = ?, parts = 1, "
                    + "expires_at = ?, name_sealed = COALESCE(?, name_sealed) WHERE id = ? AND status = ?")) {
                s.setString(1, BatchFileRecord.PROCESSED);
                s.setLong(2, bytes);
                Jdbc.setNullableLong(s, 3, expiresAt);
                setNullableString(s, 4, nameSealed);
                s.setString(5, id);
                s.setString(6, BatchFileRecord.UPLOADING);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Makes a finished output file readable, with its time to live. */
    public void publish(String id, Long expiresAt) {
        Jdbc.withConnection(dataSource, "publish file " + id, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "UPDATE batch_files SET status = ?, expires_at = ? WHERE id = ?")) {
                s.setString(1, BatchFileRecord.PROCESSED);
                Jdbc.setNullableLong(s, 2, expiresAt);
                s.setString(3, id);
                s.executeUpdate();
                return null;
            }
        });
    }

    /**
     * Crypto-shredding, step one: deletes the file's wrapped data key (committed on return), after which the file's
     * bytes can never be decrypted again.
     *
     * @return the deleted key, or empty when the file had none (already shredded)
     */
    public Optional<FileKeyRecord> deleteKey(String fileId, long nowMillis) {
        return Jdbc.inTransaction(dataSource, "shred key of file " + fileId, connection -> {
            FileKeyRecord key;
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT file_id, key_ref, wrapped_key, created_at FROM batch_file_keys WHERE file_id = ?")) {
                s.setString(1, fileId);
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        return Optional.<FileKeyRecord>empty();
                    }
                    key = new FileKeyRecord(rows.getString(1), rows.getString(2), rows.getString(3), rows.getLong(4));
                }
            }
            try (PreparedStatement s = connection.prepareStatement("DELETE FROM batch_file_keys WHERE file_id = ?")) {
                s.setString(1, fileId);
                s.executeUpdate();
            }
            // Remembered with the key's deletion, in one transaction: a shredding is never without its record.
            try (PreparedStatement s = connection.prepareStatement("INSERT INTO batch_file_shreds (file_id, key_id, "
                    + "key_ref, deleted_at) SELECT id, key_id, ?, ? FROM batch_files WHERE id = ?")) {
                s.setString(1, key.keyRef());
                s.setLong(2, nowMillis);
                s.setString(3, fileId);
                s.executeUpdate();
            }
            return Optional.of(key);
        });
    }

    /** The record of a shredded file, while it is kept ({@link #purgeShredsBefore}). */
    public Optional<FileShredRecord> findShred(String fileId) {
        return Jdbc.withConnection(dataSource, "find shredding of file " + fileId, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT file_id, key_id, key_ref, deleted_at FROM batch_file_shreds WHERE file_id = ?")) {
                s.setString(1, fileId);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(new FileShredRecord(rows.getString(1), rows.getString(2),
                            rows.getString(3), rows.getLong(4))) : Optional.empty();
                }
            }
        });
    }

    /** Deletes the records of shreddings before {@code cutoffMillis}; returns how many. */
    public int purgeShredsBefore(long cutoffMillis) {
        return Jdbc.withConnection(dataSource, "purge shred records", connection -> {
            try (PreparedStatement s = connection.prepareStatement("DELETE FROM batch_file_shreds WHERE deleted_at < ?")) {
                s.setLong(1, cutoffMillis);
                return s.executeUpdate();
            }
        });
    }

    /** Deletes the file's row (after its key and bytes are gone). */
    public void delete(String fileId) {
        Jdbc.withConnection(dataSource, "delete file " + fileId, connection -> {
            try (PreparedStatement s = connection.prepareStatement("DELETE FROM batch_files WHERE id = ?")) {
                s.setString(1, fileId);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Claims an unused, readable input file for a batch: it is then deleted when the batch ends instead of at its
     * expiry.
     *
     * @return false when the file is not a readable input of this key or another batch already uses it
     */
    static boolean claim(Connection connection, String fileId, String keyId, String batchId) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("UPDATE batch_files SET batch_id = ?, expires_at = NULL "
                + "WHERE id = ? AND key_id = ? AND purpose = ? AND status = ? AND batch_id IS NULL")) {
            s.setString(1, batchId);
            s.setString(2, fileId);
            s.setString(3, keyId);
            s.setString(4, BatchFileRecord.PURPOSE_INPUT);
            s.setString(5, BatchFileRecord.PROCESSED);
            return s.executeUpdate() == 1;
        }
    }

    static void setParts(Connection connection, String fileId, int parts, long bytes) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("UPDATE batch_files SET parts = ?, bytes = ? WHERE id = ?")) {
            s.setInt(1, parts);
            s.setLong(2, bytes);
            s.setString(3, fileId);
            s.executeUpdate();
        }
    }

    /** Files whose time to live has passed ({@code expires_at <= now}). */
    public List<BatchFileRecord> expired(long now, int limit) {
        return Jdbc.withConnection(dataSource, "list expired files", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM batch_files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?")) {
                s.setLong(1, now);
                s.setInt(2, limit);
                return list(s);
            }
        });
    }

    /** Uploads that never finished, started before {@code before}. */
    public List<BatchFileRecord> staleUploads(long before) {
        return Jdbc.withConnection(dataSource, "list stale uploads", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT " + COLUMNS
                    + " FROM batch_files WHERE status = ? AND created_at < ?")) {
                s.setString(1, BatchFileRecord.UPLOADING);
                s.setLong(2, before);
                return list(s);
            }
        });
    }

    /** Inputs whose batch has ended (or no longer exists): due for deletion. */
    public List<BatchFileRecord> inputsOfEndedBatches(int limit) {
        return Jdbc.withConnection(dataSource, "list inputs of ended batches", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT " + prefixed("f") + " FROM batch_files f "
                    + "LEFT JOIN batches b ON b.id = f.batch_id WHERE f.purpose = ? AND f.batch_id IS NOT NULL "
                    + "AND (b.id IS NULL OR b.status IN (?, ?, ?, ?)) LIMIT ?")) {
                s.setString(1, BatchFileRecord.PURPOSE_INPUT);
                int i = 2;
                for (String status : List.of(BatchRecord.COMPLETED, BatchRecord.FAILED, BatchRecord.EXPIRED, BatchRecord.CANCELLED)) {
                    s.setString(i++, status);
                }
                s.setInt(i, limit);
                return list(s);
            }
        });
    }

    /** Every file id, for the orphan check of the files directory. */
    public List<String> allIds() {
        return Jdbc.withConnection(dataSource, "list file ids", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT id FROM batch_files");
                 ResultSet rows = s.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
                return ids;
            }
        });
    }

    private static String prefixed(String alias) {
        StringBuilder out = new StringBuilder();
        for (String column : COLUMNS.split(", ")) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(alias).append('.').append(column);
        }
        return out.toString();
    }

    private static List<BatchFileRecord> list(PreparedStatement s) throws SQLException {
        try (ResultSet rows = s.executeQuery()) {
            List<BatchFileRecord> out = new ArrayList<>();
            while (rows.next()) {
                out.add(read(rows));
            }
            return out;
        }
    }

    static BatchFileRecord read(ResultSet rows) throws SQLException {
        return new BatchFileRecord(rows.getString("id"), rows.getString("key_id"), rows.getString("purpose"),
                rows.getString("status"), rows.getString("name_sealed"), rows.getLong("bytes"), rows.getInt("parts"),
                rows.getInt("client_sealed") == 1, rows.getString("batch_id"), rows.getLong("created_at"),
                Jdbc.getNullableLong(rows, "expires_at"));
    }

    static void setNullableString(PreparedStatement s, int index, String value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.VARCHAR);
        } else {
            s.setString(index, value);
        }
    }
}
