package dev.veil.gateway.batch.files;

import dev.veil.gateway.config.BatchConfig;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.stream.SegmentedAead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The operator's master key (32 bytes, given by environment or file) and what is derived from it with HKDF-SHA256:
 * the key-wrapping key for file data keys ("veil file keys v1"), per-batch metadata keys ("veil batch metadata v1"),
 * and the Ed25519 seed of the deletion-receipt signing key ("veil deletion receipts v1"), so receipts stay verifiable
 * across restarts. The master key itself never encrypts anything directly and is never logged.
 */
public final class MasterKey {

    private static final byte[] FILE_KEYS = ascii("veil file keys v1");
    private static final byte[] METADATA = ascii("veil batch metadata v1");
    private static final byte[] RECEIPTS = ascii("veil deletion receipts v1");
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final int NONCE = 12;

    private final SecretKeySpec wrappingKey;
    private final byte[] master;
    private final SigningKey receiptKey;

    MasterKey(byte[] master) {
        if (master.length != 32) {
            throw new IllegalArgumentException("the master key must be 32 bytes");
        }
        this.master = master.clone();
        this.wrappingKey = new SecretKeySpec(SegmentedAead.hkdf(master, null, FILE_KEYS, 32), "AES");
        this.receiptKey = SigningKey.fromSeed(SegmentedAead.hkdf(master, null, RECEIPTS, 32));
    }

    /**
     * The master key the configuration names: the environment variable first, else the file.
     *
     * @return empty when neither is given (the batch API is then disabled)
     * @throws IllegalStateException when the given key is unreadable or not 32 bytes of base64url; the message names the
     *                               source, never the value
     */
    public static Optional<MasterKey> load(BatchConfig config, Map<String, String> env) {
        Optional<String> fromEnv = config.masterKeyFromEnv(env);
        if (fromEnv.isPresent()) {
            return Optional.of(new MasterKey(decode(fromEnv.get(), "environment variable " + config.masterKeyEnv())));
        }
        if (config.masterKeyFile() == null) {
            return Optional.empty();
        }
        String text;
        try {
            text = Files.readString(Path.of(config.masterKeyFile()), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalStateException("batch.master_key_file: cannot read the master key file ("
                    + e.getClass().getSimpleName() + ")");
        }
        return Optional.of(new MasterKey(decode(text, "batch.master_key_file")));
    }

    /** A key from raw bytes (tests, and {@code veil demo} after generating one). */
    public static MasterKey of(byte[] key) {
        return new MasterKey(key);
    }

    /** A new random master key as base64url text, for {@code veil demo} and operators. */
    public static String generateText() {
        return B64.encodeToString(SegmentedAead.newKey());
    }

    /** Writes a new master key file readable only by its owner (mode 600 where POSIX permissions exist). */
    public static void writeNewKeyFile(Path file) throws IOException {
        dev.veil.protocol.PrivateFile.createNew(file, generateText() + "\n");
    }

    private static byte[] decode(String text, String source) {
        String t = text.trim();
        byte[] key;
        try {
            key = Base64.getUrlDecoder().decode(t.replace('+', '-').replace('/', '_').replace("=", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException(source + ": the master key is not base64url text; generate one with "
                    + "'head -c 32 /dev/urandom | basenc --base64url'");
        }
        if (key.length != 32) {
            throw new IllegalStateException(source + ": the master key must be 32 bytes (43 base64url characters), "
                    + "got " + key.length + " bytes");
        }
        return key;
    }

    /** Wraps a file's data key: AES-256-GCM under the key-wrapping key, the file id as associated data. */
    public String wrap(String fileId, byte[] dataKey) {
        return B64.encodeToString(seal(wrappingKey, ascii(fileId), dataKey));
    }

    /** Unwraps a data key wrapped for {@code fileId}. */
    public byte[] unwrap(String fileId, String wrapped) {
        return open(wrappingKey, ascii(fileId), Base64.getUrlDecoder().decode(wrapped));
    }

    /** Encrypts a batch's client metadata with a key derived for that batch. */
    public String sealMetadata(String batchId, byte[] json) {
        return B64.encodeToString(seal(metadataKey(batchId), ascii(batchId), json));
    }

    public byte[] openMetadata(String batchId, String sealed) {
        return open(metadataKey(batchId), ascii(batchId), Base64.getUrlDecoder().decode(sealed));
    }

    /** Encrypts a small value (a file name) with a file's data key; {@code aad} binds it to its place. */
    public static String sealWith(byte[] dataKey, byte[] aad, byte[] plaintext) {
        SecretKeySpec key = new SecretKeySpec(SegmentedAead.hkdf(dataKey, null, ascii("veil file name v1"), 32), "AES");
        return B64.encodeToString(seal(key, aad, plaintext));
    }

    public static byte[] openWith(byte[] dataKey, byte[] aad, String sealed) {
        SecretKeySpec key = new SecretKeySpec(SegmentedAead.hkdf(dataKey, null, ascii("veil file name v1"), 32), "AES");
        return open(key, aad, Base64.getUrlDecoder().decode(sealed));
    }

    /** The deletion-receipt signing key. */
    public SigningKey receiptKey() {
        return receiptKey;
    }

    private SecretKeySpec metadataKey(String batchId) {
        return new SecretKeySpec(SegmentedAead.hkdf(master, null, concat(METADATA, ascii(batchId)), 32), "AES");
    }

    private static byte[] seal(SecretKeySpec key, byte[] aad, byte[] plaintext) {
        try {
            byte[] nonce = SegmentedAead.random(NONCE);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(aad);
            return concat(nonce, cipher.doFinal(plaintext));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("encryption failed", e);
        }
    }

    private static byte[] open(SecretKeySpec key, byte[] aad, byte[] sealed) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, sealed, 0, NONCE));
            cipher.updateAAD(aad);
            return cipher.doFinal(sealed, NONCE, sealed.length - NONCE);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalStateException("a wrapped value failed authentication (wrong master key, or changed)");
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public String toString() {
        return "MasterKey[redacted]";
    }
}
