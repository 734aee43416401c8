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

    /**
     * A 32-byte secret seed kept in hex in {@code file}, made and written there (owner-only) first when the file does
     * not exist. Several gateway instances that must agree on the seed share the file.
     *
     * @param what what the seed is, for the error that names a damaged file
     */
    public static byte[] seed(Path file, String what) throws IOException {
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            byte[] seed = null;
            try {
                seed = java.util.HexFormat.of().parseHex(text);
            } catch (IllegalArgumentException e) {
                // reported below
            }
            if (seed == null || seed.length != 32) {
                throw new IOException(file + " is not a " + what + " (64 hex characters); restore it or remove it to"
                        + " start a new one");
            }
            return seed;
        }
        byte[] seed = new byte[32];
        new java.security.SecureRandom().nextBytes(seed);
        createNew(file, java.util.HexFormat.of().formatHex(seed) + "\n");
        return seed;
    }
}
