package dev.veil.store;

import java.util.Objects;

/**
 * That a file was shredded ({@code batch_file_shreds}): enough to repeat its deletion receipt, nothing of the file.
 *
 * @param fileId    the shredded file
 * @param keyId     the API key that owned it
 * @param keyRef    the random id of the destroyed data key (the receipt names its SHA-256)
 * @param deletedAt epoch milliseconds of the shredding
 */
public record FileShredRecord(String fileId, String keyId, String keyRef, long deletedAt) {

    public FileShredRecord {
        Objects.requireNonNull(fileId, "fileId");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(keyRef, "keyRef");
    }
}
