package dev.veil.gateway.metering;

import dev.veil.protocol.PrivateFile;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The gateway's receipt key: the Ed25519 key that signs every privacy receipt, kept as its 32-byte seed in hex in a
 * file readable by its owner only, made on first start. It is published in the transparency log (a
 * {@code receipt_key} entry) and at {@code GET /v1/transparency/receipt-key}. Gateways that share a store share the
 * file, as they share the log key (docs/privacy.md, "Signed receipts").
 */
public final class ReceiptKeyFile {

    /** The file's name in the data directory. */
    public static final String NAME = "gateway-receipt.key";

    private ReceiptKeyFile() {
    }

    /** The key in {@code file}, made and written there first if the file does not exist. */
    public static SigningKey loadOrCreate(Path file) throws IOException {
        return SigningKey.fromSeed(PrivateFile.seed(file, "gateway receipt key"));
    }
}
