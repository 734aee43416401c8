package dev.veil.gateway.batch.runner;

import dev.veil.gateway.batch.files.FileStorage;
import dev.veil.store.BatchFileChunkRepository;
import dev.veil.protocol.batch.ClientSealing;
import dev.veil.protocol.stream.SealingOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One new part of a batch's output or error file, opened on the first line written: encrypted at rest under the file's
 * data key and, for a batch with a client key, first encrypted to that key (so the part holds ciphertext within
 * ciphertext). Closing writes the final segments and forces the part to disk.
 */
final class PartWriter implements AutoCloseable {

    private final FileStorage files;
    private final BatchFileChunkRepository.Fence fence;
    private final String fileId;
    private final int index;
    private final byte[] dataKey;
    private final byte[] clientKey;
    private final String batchId;
    private final int kind;
    private SealingOutputStream atRest;
    private SealingOutputStream clientSealed;
    private OutputStream content;

    PartWriter(FileStorage files, BatchFileChunkRepository.Fence fence, String fileId, int index, byte[] dataKey,
               byte[] clientKey, String batchId, int kind) {
        this.files = files;
        this.fence = fence;
        this.fileId = fileId;
        this.index = index;
        this.dataKey = dataKey;
        this.clientKey = clientKey;
        this.batchId = batchId;
        this.kind = kind;
    }

    void write(byte[] line) throws IOException {
        if (content == null) {
            atRest = files.writePart(fileId, index, dataKey, fence);
            if (clientKey != null) {
                clientSealed = ClientSealing.sealPart(atRest, clientKey, batchId, kind, index);
                content = clientSealed;
            } else {
                content = atRest;
            }
        }
        content.write(line);
        content.write('\n');
    }

    boolean opened() {
        return content != null;
    }

    /** The part's content size (what a download of it returns). Valid after {@link #close()}. */
    long bytes() {
        return atRest == null ? 0 : atRest.plaintextBytes();
    }

    @Override
    public void close() throws IOException {
        if (content == null) {
            return;
        }
        if (clientSealed != null) {
            clientSealed.finish();
        }
        atRest.close();
    }
}
