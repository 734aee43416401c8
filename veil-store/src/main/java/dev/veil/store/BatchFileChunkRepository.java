package dev.veil.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The {@code batch_file_chunks} table: the encrypted parts of batch files when they are kept in the database so that
 * every instance can read them ({@code batch.storage: database}). A part is a sequence of chunks {@code 0, 1, 2 ...};
 * the bytes are ciphertext only (the caller encrypts before it writes and decrypts after it reads). Blocking JDBC;
 * run on a worker thread.
 */
public final class BatchFileChunkRepository {

    private final DataSource dataSource;
    private final boolean postgres;

    BatchFileChunkRepository(DataSource dataSource, String vendor) {
        this.dataSource = dataSource;
        this.postgres = StoreSettings.POSTGRESQL.equals(vendor);
    }

    /** Whose writes to a batch's output must be refused once it lost the batch's lease. */
    public record Fence(String batchId, String leaseOwner) {
    }

    /**
     * Stores one chunk of a part.
     *
     * @param fence when not null, the chunk is stored only while {@code fence.leaseOwner} holds the batch's lease (in the
     *              same transaction, with the batch row locked): a writer that lost its batch can never add a chunk
     *              after the new holder removed the uncommitted parts
     * @return false (nothing written) when the fence's owner does not hold the batch
     */
    public boolean insert(String fileId, int part, int seq, byte[] data, Fence fence) {
        return Jdbc.inTransaction(dataSource, "store a chunk of " + fileId, connection -> {
            if (fence != null && !BatchLeaseRepository.holds(connection, postgres, fence.batchId(), fence.leaseOwner())) {
                connection.rollback();
                return false;
            }
            try (PreparedStatement s = connection.prepareStatement(
                    "INSERT INTO batch_file_chunks (file_id, part, seq, data) VALUES (?, ?, ?, ?)")) {
                s.setString(1, fileId);
                s.setInt(2, part);
                s.setInt(3, seq);
                s.setBytes(4, data);
                s.executeUpdate();
            }
            return true;
        });
    }

    /** One chunk, or empty when the part has no chunk {@code seq} (it ended before it, or it does not exist). */
    public Optional<byte[]> read(String fileId, int part, int seq) {
        return Jdbc.withConnection(dataSource, "read a chunk of " + fileId, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "SELECT data FROM batch_file_chunks WHERE file_id = ? AND part = ? AND seq = ?")) {
                s.setString(1, fileId);
                s.setInt(2, part);
                s.setInt(3, seq);
                try (ResultSet rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    /** Deletes every chunk of the parts {@code from} and higher; returns how many chunks were deleted. */
    public int deletePartsFrom(String fileId, int from) {
        return Jdbc.withConnection(dataSource, "delete parts of " + fileId, connection -> {
            try (PreparedStatement s = connection.prepareStatement(
                    "DELETE FROM batch_file_chunks WHERE file_id = ? AND part >= ?")) {
                s.setString(1, fileId);
                s.setInt(2, from);
                return s.executeUpdate();
            }
        });
    }

    /** The ids of the files that have chunks here, for the orphan sweep. */
    public List<String> fileIds() {
        return Jdbc.withConnection(dataSource, "list stored files", connection -> {
            try (PreparedStatement s = connection.prepareStatement("SELECT DISTINCT file_id FROM batch_file_chunks");
                 ResultSet rows = s.executeQuery()) {
                List<String> ids = new ArrayList<>();
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
                return ids;
            }
        });
    }
}
