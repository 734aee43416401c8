package dev.veil.gateway.batch.files;

import dev.veil.protocol.stream.OpeningInputStream;
import dev.veil.protocol.stream.SealingOutputStream;
import dev.veil.protocol.stream.SegmentedAead;
import dev.veil.store.BatchFileChunkRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;

/**
 * Where the encrypted bytes of batch files live ({@code batch.storage}): a file is a sequence of parts, each a
 * {@link SegmentedAead} stream under the file's data key with the associated data {@code "<file id>/<part index>"}; a
 * file's content is its parts' plaintexts in order. Implementations only ever see ciphertext: encryption happens
 * before {@link #ciphertextOut} and decryption after {@link #ciphertextIn}. {@link EncryptedFiles} keeps parts under
 * {@code <data_dir>/files/} (one instance); {@link DatabaseFiles} keeps them in the store, where every instance can
 * read them. Blocking I/O, except {@link #openUpload}: call from worker threads.
 */
public interface FileStorage {

    Pattern FILE_ID = Pattern.compile("file-[0-9a-f]{24}");

    /** Whether {@code id} has the shape of a file id (checked before any path or key is built from it). */
    static boolean validId(String id) {
        return id != null && FILE_ID.matcher(id).matches();
    }

    static byte[] aad(String fileId, int index) {
        return (fileId + "/" + index).getBytes(StandardCharsets.US_ASCII);
    }

    static String checked(String fileId) {
        if (!validId(fileId)) {
            throw new IllegalArgumentException("not a file id");
        }
        return fileId;
    }

    /**
     * Where the ciphertext of a new part goes. Closing it makes the part durable before it returns, so a committed part
     * count never names a part that is not.
     *
     * @param fence for a batch's output, whose lease the writer must hold for a write to land; null otherwise
     */
    OutputStream ciphertextOut(String fileId, int index, BatchFileChunkRepository.Fence fence) throws IOException;

    /** The ciphertext of one part, as it was written. */
    InputStream ciphertextIn(String fileId, int index) throws IOException;

    /** Deletes every part with index {@code from} or higher (uncommitted parts left by a crash or a lost lease). */
    void deletePartsFrom(String fileId, int from) throws IOException;

    /** The ids of the files that have bytes here, for the orphan sweep. */
    List<String> storedIds() throws IOException;

    /** Deletes an entry that is not a known file (anything left by a crash). */
    void deleteStray(String name) throws IOException;

    /** Opens part 0 of {@code fileId} for an upload arriving on an event loop. */
    Future<UploadSink> openUpload(Vertx vertx, WorkerExecutor io, String fileId, byte[] dataKey, long limit);

    /** Opens a new part for writing, encrypted under {@code dataKey}. */
    default SealingOutputStream writePart(String fileId, int index, byte[] dataKey, BatchFileChunkRepository.Fence fence)
            throws IOException {
        return new SealingOutputStream(ciphertextOut(fileId, index, fence), dataKey, aad(fileId, index));
    }

    /** Deletes a file's bytes (every part). */
    default void delete(String fileId) throws IOException {
        deletePartsFrom(fileId, 0);
    }

    /** As {@link #deletePartsFrom}, logging instead of failing. */
    default void deletePartsFromQuietly(String fileId, int from) {
        try {
            deletePartsFrom(fileId, from);
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(FileStorage.class).warn("file_id={} stray parts not removed: {}", fileId,
                    e.getClass().getSimpleName());
        }
    }

    /** The plaintext of parts {@code 0 .. parts-1}, decrypted as it is read; a part that does not verify fails the read. */
    default InputStream read(String fileId, int parts, byte[] dataKey) {
        byte[] key = dataKey.clone();
        Enumeration<InputStream> streams = new Enumeration<>() {
            int next;

            @Override
            public boolean hasMoreElements() {
                return next < parts;
            }

            @Override
            public InputStream nextElement() {
                if (next >= parts) {
                    throw new NoSuchElementException();
                }
                int index = next++;
                try {
                    return new OpeningInputStream(new BufferedInputStream(ciphertextIn(fileId, index),
                            SegmentedAead.SEGMENT_SIZE + 64), key, aad(fileId, index), true);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        return new SafeSequence(new SequenceInputStream(streams));
    }

    /** Turns the enumeration's unchecked failures back into IOExceptions for readers. */
    final class SafeSequence extends InputStream {
        private final InputStream in;

        SafeSequence(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        }
    }
}
