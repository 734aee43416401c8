package dev.veil.gateway.batch.files;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.veil.gateway.json.JsonWriter;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Signed deletion receipts. A receipt states that a file's data key was destroyed: the file id, the time
 * (epoch seconds), and the SHA-256 (hex) of the destroyed key's id. The gateway signs
 *
 * <pre>"veil deletion receipt v1\n" + file_id + "\n" + deleted_at + "\n" + key_id_sha256</pre>
 *
 * (UTF-8, no trailing newline) with Ed25519; its public key is served at {@code GET /v1/receipts/key}.
 */
public final class DeletionReceipts {

    public static final String DOMAIN = "veil deletion receipt v1";
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final SigningKey key;
    private final JsonWriter json;

    public DeletionReceipts(SigningKey key, JsonWriter json) {
        this.key = key;
        this.json = json;
    }

    /** The message a receipt's signature covers. */
    public static byte[] message(String fileId, long deletedAt, String keyIdSha256) {
        return (DOMAIN + "\n" + fileId + "\n" + deletedAt + "\n" + keyIdSha256).getBytes(StandardCharsets.UTF_8);
    }

    public static String keyIdHash(String keyRef) {
        return E2ee.hex(E2ee.sha256(keyRef.getBytes(StandardCharsets.US_ASCII)));
    }

    /** Writes the {@code veil_deletion_receipt} object into an open JSON object. */
    public void write(JsonGenerator g, String fileId, long deletedAtSeconds, String keyRef) throws IOException {
        String hash = keyIdHash(keyRef);
        byte[] signature = key.sign(message(fileId, deletedAtSeconds, hash));
        g.writeObjectFieldStart("veil_deletion_receipt");
        g.writeStringField("object", "veil.deletion_receipt");
        g.writeStringField("file_id", fileId);
        g.writeNumberField("deleted_at", deletedAtSeconds);
        g.writeStringField("key_id_sha256", hash);
        g.writeStringField("algorithm", "ed25519");
        g.writeStringField("public_key", B64.encodeToString(key.publicKey()));
        g.writeStringField("signature", B64.encodeToString(signature));
        g.writeEndObject();
    }

    /** The body of {@code GET /v1/receipts/key}. */
    public byte[] publicKeyJson() {
        return json.write(g -> {
            g.writeStartObject();
            g.writeStringField("object", "veil.receipt_key");
            g.writeStringField("algorithm", "ed25519");
            g.writeStringField("public_key", B64.encodeToString(key.publicKey()));
            g.writeStringField("public_key_hex", E2ee.hex(key.publicKey()));
            g.writeStringField("signed_message", DOMAIN + "\\n{file_id}\\n{deleted_at}\\n{key_id_sha256}");
            g.writeEndObject();
        });
    }

    public byte[] publicKey() {
        return key.publicKey();
    }
}
