package dev.veil.gateway.batch.files;

import dev.veil.protocol.stream.OpeningInputStream;
import dev.veil.protocol.stream.SealingOutputStream;
import dev.veil.protocol.stream.SegmentedAead;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The encrypted file store under {@code <data_dir>/files/}: a file is a directory {@code <file id>/} of parts
 * {@code 000000.vsa}, {@code 000001.vsa} ..., each a {@link SegmentedAead} stream under the file's data key with the
 * associated data {@code "<file id>/<part index>"}. A file's content is its parts' plaintexts in order. Only
 * ciphertext is ever written here; nothing is ever written elsewhere (no temp files). Blocking I/O: call from worker
 * threads, never from an event loop (uploads use {@link UploadSink}, which writes through Vert.x's async file).
 */
public final class EncryptedFiles {

    private static final Pattern FILE_ID = Pattern.compile("file-[0-9a-f]{24}");

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
        return id != null && FILE_ID.matcher(id).matches();
    }

    public Path root() {
        return root;
    }

    public Path part(String fileId, int index) {
        if (!validId(fileId)) {
            throw new IllegalArgumentException("not a file id");
        }
        return root.resolve(fileId).resolve(String.format("%06d.vsa", index));
    }

    public static byte[] aad(String fileId, int index) {
        return (fileId + "/" + index).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Opens a new part for writing. Closing the returned stream writes the final segment and forces the bytes to disk
     * before it returns, so a committed part count never names a part that is not durable.
     */
    public SealingOutputStream writePart(String fileId, int index, byte[] dataKey) throws IOException {
        Path path = part(fileId, index);
        Files.createDirectories(path.getParent());
        FileOutputStream file = new FileOutputStream(path.toFile());
        OutputStream durable = new java.io.BufferedOutputStream(new OutputStream() {
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
        return new SealingOutputStream(durable, dataKey, aad(fileId, index));
    }

    /** The plaintext of parts {@code 0 .. parts-1}, decrypted as it is read. */
    public InputStream read(String fileId, int parts, byte[] dataKey) {
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
                    return new OpeningInputStream(new java.io.BufferedInputStream(Files.newInputStream(part(fileId, index)),
                            SegmentedAead.SEGMENT_SIZE + 64), key, aad(fileId, index), true);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        return new SafeSequence(new SequenceInputStream(streams));
    }

    /** Deletes every part with index {@code from} or higher (uncommitted parts left by a crash). */
    public void deletePartsFrom(String fileId, int from) throws IOException {
        Path dir = root.resolve(checked(fileId));
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

    /** As {@link #deletePartsFrom}, logging instead of failing. */
    public void deletePartsFromQuietly(String fileId, int from) {
        try {
            deletePartsFrom(fileId, from);
        } catch (IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(EncryptedFiles.class).warn("file_id={} stray parts not removed: {}", fileId,
                    e.getClass().getSimpleName());
        }
    }

    /** Deletes a file's bytes (every part and its directory). */
    public void delete(String fileId) throws IOException {
        deletePartsFrom(fileId, 0);
        try {
            Files.deleteIfExists(root.resolve(checked(fileId)));
        } catch (java.nio.file.DirectoryNotEmptyException e) {
            // a concurrent writer added a part; the sweeper removes it as an orphan
        }
    }

    /** The ids of the files that have bytes here, for the orphan sweep. */
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

    /** Deletes an entry of the files directory that is not a known file (anything left by a crash). */
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

    private static String checked(String fileId) {
        if (!validId(fileId)) {
            throw new IllegalArgumentException("not a file id");
        }
        return fileId;
    }

    /** Turns the enumeration's unchecked failures back into IOExceptions for readers. */
    private static final class SafeSequence extends InputStream {
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
