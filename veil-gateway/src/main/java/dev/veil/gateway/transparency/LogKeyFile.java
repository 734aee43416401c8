package dev.veil.gateway.transparency;

import dev.veil.protocol.PrivateFile;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The transparency log's Ed25519 signing key, kept as its 32-byte seed in hex in a file readable by its owner only.
 * Made on first start; kept across restarts, since clients pin the key their tree heads verify with. Losing it does
 * not lose the log (the entries are in the store), but the next key is logged as a new {@code log_key} entry and
 * clients must learn it.
 */
public final class LogKeyFile {

    /** The file's name in the data directory. */
    public static final String NAME = "transparency-log.key";

    private LogKeyFile() {
    }

    /** The key in {@code file}, made and written there first if the file does not exist. */
    public static SigningKey loadOrCreate(Path file) throws IOException {
        return SigningKey.fromSeed(PrivateFile.seed(file, "transparency log key"));
    }
}
