package dev.veil.store;

import java.util.Objects;

/**
 * A file of the Files API ({@code batch_files}): metadata only. Its bytes are on disk, encrypted; its name is stored
 * only encrypted ({@code nameSealed}); its data key is in {@code batch_file_keys}.
 *
 * @param id           {@code file-...}
 * @param keyId        the API key that owns it
 * @param purpose      {@code batch} (an uploaded input) or {@code batch_output} (a batch's output or error file)
 * @param status       {@code uploading}, {@code processed} (readable), or {@code pending} (an output being written)
 * @param nameSealed   the file name encrypted with the file's data key (base64url), or null
 * @param bytes        size of the file's content (what a download returns)
 * @param parts        how many encrypted parts hold the content
 * @param clientSealed whether the content is encrypted to a client-held key
 * @param batchId      the batch that uses this input, or produced this output; null for an unused input
 * @param createdAt    epoch milliseconds
 * @param expiresAt    epoch milliseconds when it is deleted, or null while a batch holds it
 */
public record BatchFileRecord(String id, String keyId, String purpose, String status, String nameSealed, long bytes,
                              int parts, boolean clientSealed, String batchId, long createdAt, Long expiresAt) {

    public static final String PURPOSE_INPUT = "batch";
    public static final String PURPOSE_OUTPUT = "batch_output";
    public static final String UPLOADING = "uploading";
    public static final String PROCESSED = "processed";
    public static final String PENDING = "pending";

    public BatchFileRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(status, "status");
    }
}
