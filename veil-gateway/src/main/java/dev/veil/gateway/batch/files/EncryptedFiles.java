package dev.veil.gateway.batch.files;

import dev.veil.protocol.stream.SegmentedAead;
import dev.veil.store.BatchFileChunkRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The local encrypted file store under {@code <data_dir>/files/} ({@code batch.storage: local}, the single-node
 * default): a file is a directory {@code <file id>/} of parts {@code 000000.vsa}, {@code 000001.vsa} ... Only
 * ciphertext is ever written here; nothing is ever written elsewhere (no temp files). Blocking I/O: call from worker
 * threads, never from an event loop (uploads write through Vert.x's async file).
 */
public final class EncryptedFiles implements FileStorage {

    private final Path root;

    public EncryptedFiles(Path root) {
        this.root = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(this.root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the files directory", e);
        }
    }

    /** Whether {@code id} has the shape of a file id (checked before any path is built from it). */
    public static boolean validId(String id) {
        return FileStorage.validId(id);
    }

    public static byte[] aad(String fileId, int index) {
        return FileStorage.aad(fileId, index);
    }

    public Path root() {
        return root;
    }

    public Path part(String fileId, int index) {
        return root.resolve(FileStorage.checked(fileId)).resolve(String.format("%06d.vsa", index));
    }

    /**
     * The part's file; closing the stream forces the bytes to disk before it returns. The fence is not checked here: a
     * local store is one instance's, and the lease fences that instance's progress commits.
     */
    @Override
    public OutputStream ciphertextOut(String fileId, int index, BatchFileChunkRepository.Fence fence) throws IOException {
        Path path = part(fileId, index);
        Files.createDirectories(path.getParent());
        FileOutputStream file = new FileOutputStream(path.toFile());
        return new java.io.BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                file.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                file.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                try {
                    file.getChannel().force(true);
                } finally {
                    file.close();
                }
            }
        }, SegmentedAead.SEGMENT_SIZE + 64);
    }

    @Override
    public InputStream ciphertextIn(String fileId, int index) throws IOException {
        return Files.newInputStream(part(fileId, index));
    }

    @Override
    public Future<UploadSink> openUpload(Vertx vertx, WorkerExecutor io, String fileId, byte[] dataKey, long limit) {
        Path path = part(fileId, 0);
        return vertx.fileSystem().mkdirs(path.getParent().toString())
                .compose(v -> vertx.fileSystem().open(path.toString(),
                        new OpenOptions().setWrite(true).setCreateNew(true).setDsync(false)))
                .map(file -> new UploadSink(new FileTarget(file), dataKey, aad(fileId, 0), limit));
    }

    /** An upload's ciphertext into a Vert.x async file (its writes run off the event loop). */
    private record FileTarget(AsyncFile file) implements UploadSink.Target {
        @Override
        public void write(byte[] ciphertext) {
            file.write(Buffer.buffer(ciphertext));
        }

        @Override
        public boolean writeQueueFull() {
            return file.writeQueueFull();
        }

        @Override
        public void drainHandler(io.vertx.core.Handler<Void> handler) {
            file.drainHandler(handler);
        }

        @Override
        public Future<Void> finish() {
            return file.flush().compose(x -> file.close());
        }

        @Override
        public Future<Void> abort() {
            return file.close().recover(t -> Future.succeededFuture());
        }
    }

    @Override
    public void deletePartsFrom(String fileId, int from) throws IOException {
        Path dir = root.resolve(FileStorage.checked(fileId));
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> list = Files.list(dir)) {
            for (Path p : list.toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".vsa")) {
                    try {
                        if (Integer.parseInt(name.substring(0, name.length() - 4)) >= from) {
                            Files.deleteIfExists(p);
                        }
                    } catch (NumberFormatException e) {
                        Files.deleteIfExists(p);
                    }
                } else {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Deletes a file's bytes (every part and its directory). */
    @Override
    public void delete(String fileId) throws IOException {
        deletePartsFrom(fileId, 0);
        try {
            Files.deleteIfExists(root.resolve(FileStorage.checked(fileId)));
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // a concurrent writer added a part; the sweeper removes it as an orphan
        }
    }

    @Override
    public List<String> storedIds() throws IOException {
        List<String> ids = new ArrayList<>();
        try (Stream<Path> list = Files.list(root)) {
            for (Path p : list.toList()) {
                ids.add(p.getFileName().toString());
            }
        } catch (NoSuchFileException e) {
            return ids;
        }
        return ids;
    }

    @Override
    public void deleteStray(String name) throws IOException {
        Path p = root.resolve(name).normalize();
        if (!p.getParent().equals(root)) {
            return;
        }
        if (Files.isDirectory(p)) {
            try (Stream<Path> list = Files.list(p)) {
                for (Path child : list.toList()) {
                    Files.deleteIfExists(child);
                }
            }
        }
        Files.deleteIfExists(p);
    }
}
