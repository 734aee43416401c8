package dev.veil.client.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.batch.ClientSealing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.veil.protocol.PrivateFile;

/**
 * An X25519 key pair for client-held batch keys, and its file format: JSON
 * {@code {"type":"veil-batch-key","private_key":"<base64url>","public_key":"<base64url>"}} (the private key file,
 * written with mode 600) or the same without {@code private_key} (the {@code .pub} file, safe to share).
 *
 * @param privateKey the 32-byte private key, or null for a public-only key
 * @param publicKey  the 32-byte public key, sent as {@code metadata.veil_client_public_key}
 */
public record ClientKey(byte[] privateKey, byte[] publicKey) {

    public static final String TYPE = "veil-batch-key";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A new random key pair. */
    public static ClientKey generate() {
        byte[][] pair = ClientSealing.generateKeyPair();
        return new ClientKey(pair[0], pair[1]);
    }

    /** The public key as the batch metadata takes it (base64url, no padding). */
    public String publicKeyText() {
        return ClientSealing.encodeKey(publicKey);
    }

    /**
     * Reads a key file (private or public).
     *
     * @throws IOException when the file is unreadable or not a Veil batch key
     */
    public static ClientKey read(Path file) throws IOException {
        JsonNode node;
        try {
            node = JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException(file + " is not a Veil batch key file (JSON with public_key)");
        }
        if (node == null || !node.isObject() || !node.path("public_key").isTextual()) {
            throw new IOException(file + " is not a Veil batch key file (JSON with public_key)");
        }
        try {
            byte[] publicKey = ClientSealing.decodeKey(node.path("public_key").asText());
            byte[] privateKey = node.path("private_key").isTextual() ? ClientSealing.decodeKey(node.path("private_key").asText()) : null;
            if (privateKey != null && !java.util.Arrays.equals(ClientSealing.publicKeyOf(privateKey), publicKey)) {
                throw new IOException(file + ": its public_key does not belong to its private_key");
            }
            return new ClientKey(privateKey, publicKey);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": a key is not 32 bytes of base64url");
        }
    }

    /** Writes the private key file (mode 600) and {@code <file>.pub} beside it. */
    public void write(Path file) throws IOException {
        if (privateKey == null) {
            throw new IllegalStateException("a public-only key has no private key file");
        }
        PrivateFile.write(file, "{\"type\":\"" + TYPE + "\",\"private_key\":\"" + ClientSealing.encodeKey(privateKey)
                + "\",\"public_key\":\"" + publicKeyText() + "\"}\n");
        Path parent = file.toAbsolutePath().getParent();
        Files.writeString(parent.resolve(file.getFileName() + ".pub"),
                "{\"type\":\"" + TYPE + "\",\"public_key\":\"" + publicKeyText() + "\"}\n", StandardCharsets.UTF_8);
    }
}
