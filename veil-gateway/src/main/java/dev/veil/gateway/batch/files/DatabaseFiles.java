package dev.veil.gateway.batch.files;

import dev.veil.store.BatchFileChunkRepository;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * The shared encrypted file store ({@code batch.storage: database}): parts kept in the store's
 * {@code batch_file_chunks} table, so that every instance on the same PostgreSQL reads every file and a batch can be
 * finished by an instance other than the one that took the upload. A part is cut into chunks of at most
 * {@value #CHUNK_BYTES} bytes of ciphertext, one row each, written and read one at a time (memory stays bounded
 * whatever the file's size). A batch's output chunks are fenced by its lease: see {@link BatchFileChunkRepository#insert}.
 * A part is durable once its last chunk is committed; truncation or a missing chunk fails the AEAD stream's end check.
 */
public final class DatabaseFiles implements FileStorage {

    /** Ciphertext per row: large enough for few round trips, small enough to hold a few per upload in memory. */
    static final int CHUNK_BYTES = 1024 * 1024;

    private final BatchFileChunkRepository chunks;

    public DatabaseFiles(BatchFileChunkRepository chunks) {
        this.chunks = chunks;
    }

    @Override
    public OutputStream ciphertextOut(String fileId, int index, BatchFileChunkRepository.Fence fence) {
        FileStorage.checked(fileId);
        return new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
            private int seq;
            private boolean closed;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int take = Math.min(len, CHUNK_BYTES - pending.size());
                    pending.write(b, off, take);
                    off += take;
                    len -= take;
                    if (pending.size() == CHUNK_BYTES) {
                        store();
                    }
                }
            }

            private void store() throws IOException {
                if (!chunks.insert(fileId, index, seq, pending.toByteArray(), fence)) {
                    throw new LeaseLostException(fence.batchId());
                }
                seq++;
                pending.reset();
            }

            @Override
            public void close() throws IOException {
                if (closed) {
                    return;
                }
                closed = true;
                if (pending.size() > 0 || seq == 0) {
                    store();
                }
            }
        };
    }

    @Override
    public InputStream ciphertextIn(String fileId, int index) {
        FileStorage.checked(fileId);
        return new InputStream() {
            private byte[] chunk = new byte[0];
            private int at;
            private int seq;
            private boolean ended;

            private boolean fill() {
                while (!ended && at >= chunk.length) {
                    Optional<byte[]> next = chunks.read(fileId, index, seq);
                    if (next.isEmpty()) {
                        ended = true;
                    } else {
                        chunk = next.get();
                        at = 0;
                        seq++;
                    }
                }
                return at < chunk.length;
            }

            @Override
            public int read() {
                return fill() ? chunk[at++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, chunk.length - at);
                System.arraycopy(chunk, at, b, off, n);
                at += n;
                return n;
            }
        };
    }

    @Override
    public void deletePartsFrom(String fileId, int from) {
        chunks.deletePartsFrom(FileStorage.checked(fileId), from);
    }

    @Override
    public List<String> storedIds() {
        return chunks.fileIds();
    }

    @Override
    public void deleteStray(String name) {
        if (FileStorage.validId(name)) {
            chunks.deletePartsFrom(name, 0);
        }
    }

    @Override
    public Future<UploadSink> openUpload(Vertx vertx, WorkerExecutor io, String fileId, byte[] dataKey, long limit) {
        FileStorage.checked(fileId);
        return Future.succeededFuture(new UploadSink(new ChunkTarget(io, fileId), dataKey, FileStorage.aad(fileId, 0), limit));
    }

    /**
     * An upload's ciphertext into chunks, stored one at a time on the I/O pool in order. At most about two chunks wait
     * in memory: beyond that the upload is paused until the stores catch up.
     */
    private final class ChunkTarget implements UploadSink.Target {
        private final WorkerExecutor io;
        private final String fileId;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
        private Future<Void> tail = Future.succeededFuture();
        private long queued;
        private int seq;
        private Handler<Void> drain;

        ChunkTarget(WorkerExecutor io, String fileId) {
            this.io = io;
            this.fileId = fileId;
        }

        @Override
        public void write(byte[] ciphertext) {
            int off = 0;
            while (off < ciphertext.length) {
                int take = Math.min(ciphertext.length - off, CHUNK_BYTES - pending.size());
                pending.write(ciphertext, off, take);
                off += take;
                if (pending.size() == CHUNK_BYTES) {
                    storePending();
                }
            }
        }

        private void storePending() {
            byte[] data = pending.toByteArray();
            pending.reset();
            int index = seq++;
            queued += data.length;
            tail = tail.compose(v -> io.executeBlocking(() -> {
                chunks.insert(fileId, 0, index, data, null);
                return null;
            }, true)).andThen(done -> {
                queued -= data.length;
                if (queued < 2L * CHUNK_BYTES && drain != null) {
                    Handler<Void> h = drain;
                    drain = null;
                    h.handle(null);
                }
            }).mapEmpty();
        }

        @Override
        public boolean writeQueueFull() {
            return queued >= 2L * CHUNK_BYTES;
        }

        @Override
        public void drainHandler(Handler<Void> handler) {
            drain = handler;
        }

        @Override
        public Future<Void> finish() {
            if (pending.size() > 0 || seq == 0) {
                storePending();
            }
            return tail;
        }

        @Override
        public Future<Void> abort() {
            pending.reset();
            return tail.otherwiseEmpty();
        }
    }
}
