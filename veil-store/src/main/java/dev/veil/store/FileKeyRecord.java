package dev.veil.store;

/**
 * A file's data key, wrapped by the master key ({@code batch_file_keys}).
 *
 * @param fileId     the file it encrypts
 * @param keyRef     a random id of the key; its SHA-256 is named on the deletion receipt
 * @param wrappedKey the data key encrypted with the master key (base64url)
 * @param createdAt  epoch milliseconds
 */
public record FileKeyRecord(String fileId, String keyRef, String wrappedKey, long createdAt) {
}
