package dev.veil.gateway.batch.files;

import dev.veil.protocol.stream.SegmentedAead;
import dev.veil.store.BatchFileRecord;
import dev.veil.store.FileKeyRecord;
import dev.veil.store.Store;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files as the API sees them: a row in the store, a data key wrapped by the master key, and encrypted parts in the
 * {@link FileStorage} (on disk, or in the store for several instances).
 * Deleting a file destroys its key first (the key row is deleted and committed), then its bytes, then its row: once
 * the key is gone the bytes are unreadable even if a crash leaves them behind (the sweeper removes such leftovers).
 * Blocking (JDBC and disk): call from worker threads.
 */
public final class FileVault {

    private static final Logger LOG = LoggerFactory.getLogger(FileVault.class);
    private static final HexFormat HEX = HexFormat.of();

    private final Store store;
    private final FileStorage files;
    private final MasterKey master;

    public FileVault(Store store, FileStorage files, MasterKey master) {
        this.store = store;
        this.files = files;
        this.master = master;
    }

    /** A file about to be created: its row, its fresh data key, and the key's wrapped form. */
    public record NewFile(BatchFileRecord record, byte[] dataKey, FileKeyRecord key) {
    }

    /** What a deletion destroyed. */
    public record Shredded(String fileId, String keyRef, long deletedAtMillis) {
    }

    public static String newFileId() {
        return "file-" + HEX.formatHex(SegmentedAead.random(12));
    }

    /** Prepares a file with a fresh data key (nothing is written yet). */
    public NewFile prepare(String fileId, String keyId, String purpose, String status, String name, String batchId,
                           boolean clientSealed, long now, Long expiresAt) {
        byte[] dataKey = SegmentedAead.newKey();
        String sealedName = name == null ? null
                : MasterKey.sealWith(dataKey, fileId.getBytes(StandardCharsets.US_ASCII), name.getBytes(StandardCharsets.UTF_8));
        BatchFileRecord record = new BatchFileRecord(fileId, keyId, purpose, status, sealedName, 0, 0, clientSealed,
                batchId, now, expiresAt);
        FileKeyRecord key = new FileKeyRecord(fileId, "fk_" + HEX.formatHex(SegmentedAead.random(16)),
                master.wrap(fileId, dataKey), now);
        return new NewFile(record, dataKey, key);
    }

    public void insert(NewFile file) {
        store.batchFiles().insert(file.record(), file.key());
    }

    /** The file's data key, or empty when the file was shredded. */
    public Optional<byte[]> dataKey(String fileId) {
        return store.batchFiles().findKey(fileId).map(k -> master.unwrap(fileId, k.wrappedKey()));
    }

    /** The file's name, decrypted; a placeholder when it cannot be (its key is gone). */
    public String name(BatchFileRecord file) {
        if (file.nameSealed() == null) {
            return file.id() + ".jsonl";
        }
        return dataKey(file.id()).map(key -> new String(MasterKey.openWith(key, file.id().getBytes(StandardCharsets.US_ASCII),
                file.nameSealed()), StandardCharsets.UTF_8)).orElse(file.id() + ".jsonl");
    }

    /** The file's content, decrypted as it is read. */
    public InputStream read(BatchFileRecord file, byte[] dataKey) {
        return files.read(file.id(), file.parts(), dataKey);
    }

    /**
     * Crypto-shreds a file: its key row is deleted and committed first, then its bytes, then its row.
     *
     * @return what was destroyed; empty when the file had no key any more (already shredded)
     */
    public Optional<Shredded> shred(String fileId, long now) {
        Optional<FileKeyRecord> key = store.batchFiles().deleteKey(fileId, now);
        try {
            files.delete(fileId);
        } catch (IOException | RuntimeException e) {
            // The key is gone, so the bytes are unreadable; the sweeper retries removing them.
            LOG.warn("file_id={} bytes not removed yet: {}", fileId, e.getClass().getSimpleName());
        }
        store.batchFiles().delete(fileId);
        return key.map(k -> new Shredded(fileId, k.keyRef(), now));
    }

    public FileStorage files() {
        return files;
    }

    public MasterKey master() {
        return master;
    }
}
