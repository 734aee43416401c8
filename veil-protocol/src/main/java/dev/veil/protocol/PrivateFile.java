package dev.veil.protocol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file that holds a secret (a master key, an API key, a private key): readable by its owner only (mode 600
 * where the file system has POSIX permissions) from the moment it exists, and replaced atomically, so that a reader
 * never sees it half written and it is never, even briefly, readable by others.
 */
public final class PrivateFile {

    private PrivateFile() {
    }

    /**
     * As {@link #write(Path, String)}, but refuses to replace an existing file: for keys whose loss would make data
     * unreadable.
     *
     * @throws java.nio.file.FileAlreadyExistsException when {@code file} exists
     */
    public static void createNew(Path file, String text) throws IOException {
        if (Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new java.nio.file.FileAlreadyExistsException(file.toString());
        }
        write(file, text);
    }

    /** Writes {@code text} (UTF-8) to {@code file}, creating its directory and replacing an existing file. */
    public static void write(Path file, String text) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = parent.resolve(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
