package dev.veil.protocol.batch;

import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.stream.OpeningInputStream;
import dev.veil.protocol.stream.OpeningInputStream.StreamIntegrityException;
import dev.veil.protocol.stream.SealingOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;

/**
 * Batch results encrypted to a key the client holds ("client-held keys"): a batch created with
 * {@code metadata.veil_client_public_key} has each part of its output and error files encrypted to that X25519 key, so
 * the operator stores and serves only ciphertext. A file is a sequence of parts, each:
 *
 * <pre>
 * part   = "VBC1" (4) || kind (1: 0x01 output, 0x02 errors) || part index (u32 big-endian, from 0)
 *          || batch id length (u16 big-endian) || batch id (ASCII) || enc (32) || stream
 * HPKE   = RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-256-GCM;
 *          info = "veil batch results v1" || the part header (every byte before enc)
 * stream = a VSA1 stream ({@link dev.veil.protocol.stream.SegmentedAead}) keyed with
 *          HPKE Export("veil batch results v1 stream", 32), its aad = the part header
 * </pre>
 *
 * Decryption checks that parts carry one batch id and kind and follow each other from index 0 without gaps.
 */
public final class ClientSealing {

    public static final byte[] MAGIC = "VBC1".getBytes(StandardCharsets.US_ASCII);
    public static final int KIND_OUTPUT = 1;
    public static final int KIND_ERRORS = 2;
    public static final int KEY_LENGTH = 32;
    static final byte[] INFO = "veil batch results v1".getBytes(StandardCharsets.US_ASCII);
    static final byte[] EXPORT_LABEL = "veil batch results v1 stream".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private ClientSealing() {
    }

    /** A new X25519 key pair: {@code [private key, public key]}, 32 bytes each. */
    public static byte[][] generateKeyPair() {
        HPKE hpke = E2ee.hpke();
        AsymmetricCipherKeyPair pair = hpke.generatePrivateKey();
        return new byte[][] {hpke.serializePrivateKey(pair.getPrivate()), hpke.serializePublicKey(pair.getPublic())};
    }

    /** The public key of an X25519 private key. */
    public static byte[] publicKeyOf(byte[] privateKey) {
        checkLength(privateKey, "private key");
        org.bouncycastle.crypto.params.X25519PrivateKeyParameters sk =
                new org.bouncycastle.crypto.params.X25519PrivateKeyParameters(privateKey, 0);
        return sk.generatePublicKey().getEncoded();
    }

    /** Base64url without padding, as keys travel in JSON. */
    public static String encodeKey(byte[] key) {
        return B64.encodeToString(key);
    }

    /**
     * Decodes a base64url (or standard base64) 32-byte key.
     *
     * @throws IllegalArgumentException when it is not 32 bytes of base64
     */
    public static byte[] decodeKey(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no key");
        }
        String t = text.trim().replace('+', '-').replace('/', '_');
        while (t.endsWith("=")) {
            t = t.substring(0, t.length() - 1);
        }
        byte[] key;
        try {
            key = Base64.getUrlDecoder().decode(t);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not base64url");
        }
        checkLength(key, "key");
        return key;
    }

    /**
     * Starts one part sealed to {@code publicKey}: writes its header and enc to {@code out} and returns the stream to
     * write the part's plaintext into. {@link SealingOutputStream#finish()} ends the part without closing {@code out}.
     */
    public static SealingOutputStream sealPart(OutputStream out, byte[] publicKey, String batchId, int kind, int partIndex)
            throws IOException {
        checkLength(publicKey, "public key");
        byte[] header = header(batchId, kind, partIndex);
        HPKE hpke = E2ee.hpke();
        HPKEContextWithEncapsulation context = hpke.setupBaseS(hpke.deserializePublicKey(publicKey), concat(INFO, header));
        byte[] streamKey = context.export(EXPORT_LABEL, KEY_LENGTH);
        out.write(header);
        out.write(context.getEncapsulation());
        return new SealingOutputStream(out, streamKey, header);
    }

    /**
     * Decrypts a whole results file (one or more parts) with the client's X25519 private key, as it is read.
     *
     * @throws IOException ({@link StreamIntegrityException}) when a part is not intact, parts are missing or out of
     *                     order, or the key is not the one the batch named
     */
    public static InputStream open(InputStream in, byte[] privateKey) {
        checkLength(privateKey, "private key");
        HPKE hpke = E2ee.hpke();
        AsymmetricCipherKeyPair pair = hpke.deserializePrivateKey(privateKey, publicKeyOf(privateKey));
        return new PartsInputStream(in, hpke, pair);
    }

    static byte[] header(String batchId, int kind, int partIndex) {
        byte[] id = batchId.getBytes(StandardCharsets.US_ASCII);
        if (id.length > 0xFFFF || (kind != KIND_OUTPUT && kind != KIND_ERRORS) || partIndex < 0) {
            throw new IllegalArgumentException("bad part header");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(11 + id.length);
        out.writeBytes(MAGIC);
        out.write(kind);
        out.write(partIndex >>> 24);
        out.write(partIndex >>> 16);
        out.write(partIndex >>> 8);
        out.write(partIndex);
        out.write(id.length >>> 8);
        out.write(id.length);
        out.writeBytes(id);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void checkLength(byte[] key, String what) {
        if (key == null || key.length != KEY_LENGTH) {
            throw new IllegalArgumentException("an X25519 " + what + " is 32 bytes");
        }
    }

    /** Reads part after part until the input ends cleanly at a part boundary. */
    private static final class PartsInputStream extends InputStream {
        private final InputStream in;
        private final HPKE hpke;
        private final AsymmetricCipherKeyPair pair;
        private OpeningInputStream part;
        private int nextIndex;
        private String batchId;
        private int kind = -1;
        private boolean done;

        PartsInputStream(InputStream in, HPKE hpke, AsymmetricCipherKeyPair pair) {
            this.in = in;
            this.hpke = hpke;
            this.pair = pair;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (!done) {
                if (part == null && !openNext()) {
                    done = true;
                    break;
                }
                int n = part.read(b, off, len);
                if (n > 0) {
                    return n;
                }
                part = null;
            }
            return -1;
        }

        private boolean openNext() throws IOException {
            int first = in.read();
            if (first < 0) {
                if (nextIndex == 0) {
                    throw new StreamIntegrityException("empty input: no encrypted part");
                }
                return false;
            }
            byte[] fixed = new byte[11];
            fixed[0] = (byte) first;
            readFully(fixed, 1, 10);
            if (!Arrays.equals(Arrays.copyOf(fixed, 4), MAGIC)) {
                throw new StreamIntegrityException("not a Veil client-sealed results file (bad magic)");
            }
            int partKind = fixed[4] & 0xff;
            int index = ((fixed[5] & 0xff) << 24) | ((fixed[6] & 0xff) << 16) | ((fixed[7] & 0xff) << 8) | (fixed[8] & 0xff);
            int idLength = ((fixed[9] & 0xff) << 8) | (fixed[10] & 0xff);
            byte[] id = new byte[idLength];
            readFully(id, 0, idLength);
            String partBatch = new String(id, StandardCharsets.US_ASCII);
            if (index != nextIndex) {
                throw new StreamIntegrityException("part " + index + " where part " + nextIndex + " was expected "
                        + "(parts missing, repeated or reordered)");
            }
            if (batchId != null && (!batchId.equals(partBatch) || kind != partKind)) {
                throw new StreamIntegrityException("parts of different batches or files were mixed");
            }
            batchId = partBatch;
            kind = partKind;
            byte[] header = Arrays.copyOf(fixed, 11 + idLength);
            System.arraycopy(id, 0, header, 11, idLength);
            byte[] enc = new byte[E2ee.ENC_LENGTH];
            readFully(enc, 0, enc.length);
            HPKEContext context;
            try {
                context = hpke.setupBaseR(enc, pair, concat(INFO, header));
            } catch (RuntimeException e) {
                throw new StreamIntegrityException("part " + index + ": bad encapsulated key");
            }
            byte[] streamKey = context.export(EXPORT_LABEL, KEY_LENGTH);
            part = new OpeningInputStream(in, streamKey, header, false, false);
            nextIndex++;
            return true;
        }

        private void readFully(byte[] b, int off, int len) throws IOException {
            int read = 0;
            while (read < len) {
                int n = in.read(b, off + read, len - read);
                if (n < 0) {
                    throw new StreamIntegrityException("truncated: the file ends inside a part header");
                }
                read += n;
            }
        }

        /** The batch id the parts name, once the first part is open. */
        String batchId() {
            return batchId;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
