package dev.veil.gateway.batch.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.stream.SealingOutputStream;
import dev.veil.protocol.stream.SegmentedAead;
import dev.veil.store.BatchFileChunkRepository;
import dev.veil.store.Store;
import dev.veil.store.StoreSettings;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared file store on a real SQLite store: parts of several chunks round-trip, only ciphertext reaches the
 * table, a missing chunk fails the read closed, an upload streams through chunks with back-pressure, and a fenced
 * write without the batch's lease is refused.
 */
@Timeout(60)
class DatabaseFilesTest {

    private static final String FILE = "file-0123456789abcdef01234567";

    @TempDir
    Path dir;

    private Store store;
    private DatabaseFiles files;
    private final byte[] key = SegmentedAead.newKey();

    @BeforeEach
    void open() {
        store = Store.open(StoreSettings.sqlite(dir.resolve("veil.db")));
        files = new DatabaseFiles(store.batchFileChunks());
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static byte[] content(int size) {
        byte[] data = new byte[size];
        new Random(7).nextBytes(data);
        byte[] marker = "PLAINTEXT-MARKER".getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at + marker.length < size; at += 100_000) {
            System.arraycopy(marker, 0, data, at, marker.length);
        }
        return data;
    }

    @Test
    void partsOfSeveralChunksRoundTripAndOnlyCiphertextIsStored() throws IOException {
        byte[] first = content(2 * DatabaseFiles.CHUNK_BYTES + 12_345);
        byte[] second = "a short second part\n".getBytes(StandardCharsets.UTF_8);
        try (SealingOutputStream out = files.writePart(FILE, 0, key, null)) {
            out.write(first);
        }
        try (SealingOutputStream out = files.writePart(FILE, 1, key, null)) {
            out.write(second);
        }
        assertThat(store.batchFileChunks().read(FILE, 0, 2)).as("three chunks").isPresent();
        for (int seq = 0; seq < 3; seq++) {
            byte[] stored = store.batchFileChunks().read(FILE, 0, seq).orElseThrow();
            assertThat(new String(stored, StandardCharsets.ISO_8859_1)).doesNotContain("PLAINTEXT-MARKER");
        }
        try (InputStream in = files.read(FILE, 2, key)) {
            byte[] all = in.readAllBytes();
            assertThat(all).hasSize(first.length + second.length);
            assertThat(java.util.Arrays.copyOf(all, first.length)).isEqualTo(first);
        }
        assertThat(files.storedIds()).containsExactly(FILE);
        files.deletePartsFrom(FILE, 1);
        try (InputStream in = files.read(FILE, 1, key)) {
            assertThat(in.readAllBytes()).isEqualTo(first);
        }
        files.delete(FILE);
        assertThat(files.storedIds()).isEmpty();
    }

    @Test
    void aMissingChunkOrAWrongKeyFailsTheRead() throws IOException {
        try (SealingOutputStream out = files.writePart(FILE, 0, key, null)) {
            out.write(content(DatabaseFiles.CHUNK_BYTES + 10));
        }
        try (InputStream in = files.read(FILE, 1, SegmentedAead.newKey())) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class);
        }
        // Drop the last chunk: the stream ends before its final segment.
        store.batchFileChunks().deletePartsFrom(FILE, 0);
        try (SealingOutputStream out = files.writePart(FILE, 0, key, null)) {
            out.write(content(DatabaseFiles.CHUNK_BYTES + 10));
        }
        try (var c = store.dataSource().getConnection();
             var s = c.prepareStatement("DELETE FROM batch_file_chunks WHERE file_id = ? AND seq = 1")) {
            s.setString(1, FILE);
            assertThat(s.executeUpdate()).isEqualTo(1);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
        try (InputStream in = files.read(FILE, 1, key)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(IOException.class);
        }
        try (InputStream in = files.read(FILE, 2, key)) {
            assertThatThrownBy(in::readAllBytes).as("a part that does not exist").isInstanceOf(IOException.class);
        }
    }

    @Test
    void aWriterWithoutTheBatchsLeaseIsRefused() throws IOException {
        BatchFileChunkRepository.Fence fence = new BatchFileChunkRepository.Fence("batch_unknown", "someone");
        SealingOutputStream out = files.writePart(FILE, 0, key, fence);
        out.write("line\n".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(out::close).isInstanceOf(LeaseLostException.class);
        assertThat(files.storedIds()).isEmpty();
    }

    @Test
    void anUploadStreamsThroughChunksWithBackPressure() throws Exception {
        Vertx vertx = Vertx.vertx();
        WorkerExecutor io = vertx.createSharedWorkerExecutor("test-io", 2);
        try {
            byte[] data = content(5 * DatabaseFiles.CHUNK_BYTES + 777);
            Promise<Long> done = Promise.promise();
            boolean[] paused = new boolean[1];
            vertx.runOnContext(v -> files.openUpload(vertx, io, FILE, key, data.length).onSuccess(sink -> {
                int piece = 256 * 1024;
                Runnable[] feed = new Runnable[1];
                int[] at = new int[1];
                feed[0] = () -> {
                    while (at[0] < data.length) {
                        int n = Math.min(piece, data.length - at[0]);
                        assertThat(sink.accept(data, at[0], n)).isTrue();
                        at[0] += n;
                        if (sink.writeQueueFull()) {
                            paused[0] = true;
                            sink.drainHandler(x -> feed[0].run());
                            return;
                        }
                    }
                    sink.finish().onComplete(done);
                };
                feed[0].run();
            }).onFailure(done::fail));
            long size = done.future().await(30, TimeUnit.SECONDS);
            assertThat(size).isEqualTo(data.length);
            assertThat(paused[0]).as("the upload was paused while chunks were stored").isTrue();
            try (InputStream in = files.read(FILE, 1, key)) {
                assertThat(in.readAllBytes()).isEqualTo(data);
            }
        } finally {
            io.close();
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }
}
