package dev.veil.client.batch;

import dev.veil.protocol.batch.ClientSealing;
import java.io.InputStream;

/**
 * Decrypts the output and error files of a batch created with a client-held key
 * ({@code metadata.veil_client_public_key}): the gateway stores and serves them encrypted to that X25519 key, so
 * only the holder of the private key can read them. The format is in docs/api.md ("Client-held keys").
 *
 * <pre>{@code
 * ClientKey key = ClientKey.read(Path.of("batch.key"));
 * try (InputStream sealed = openAi.files().content(outputFileId).body();
 *      InputStream jsonl = BatchResults.decrypt(sealed, key.privateKey())) {
 *     jsonl.transferTo(System.out);
 * }
 * }</pre>
 */
public final class BatchResults {

    private BatchResults() {
    }

    /**
     * The plaintext JSONL of a client-sealed results file, decrypted as it is read (one 64 KiB segment in memory).
     * Reading fails with an {@link java.io.IOException} when any part was changed, is missing, repeated or out of
     * order, or the key is not the batch's.
     *
     * @param sealed     the file's content as downloaded from {@code GET /v1/files/{id}/content}
     * @param privateKey the 32-byte X25519 private key whose public key the batch named
     */
    public static InputStream decrypt(InputStream sealed, byte[] privateKey) {
        return ClientSealing.open(sealed, privateKey);
    }
}
