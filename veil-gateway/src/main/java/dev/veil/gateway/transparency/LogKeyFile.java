package dev.veil.gateway.transparency;

import dev.veil.protocol.PrivateFile;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

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
        if (Files.exists(file)) {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            byte[] seed;
            try {
                seed = HexFormat.of().parseHex(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + " is not a transparency log key (64 hex characters); restore it or "
                        + "remove it to start a new key");
            }
            if (seed.length != 32) {
                throw new IOException(file + " is not a transparency log key (64 hex characters); restore it or "
                        + "remove it to start a new key");
            }
            return SigningKey.fromSeed(seed);
        }
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        PrivateFile.createNew(file, HexFormat.of().formatHex(seed) + "\n");
        return SigningKey.fromSeed(seed);
    }
}
