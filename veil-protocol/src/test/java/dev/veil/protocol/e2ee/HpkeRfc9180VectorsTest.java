package dev.veil.protocol.e2ee;

import static dev.veil.protocol.e2ee.E2ee.hex;
import static dev.veil.protocol.e2ee.E2ee.unhex;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BouncyCastle's HPKE (the primitive every Veil request rests on) against published HPKE test vectors, base mode,
 * DHKEM(X25519, HKDF-SHA256), HKDF-SHA256:
 * <ul>
 *   <li>AES-128-GCM: RFC 9180 Appendix A.1.1 (values copied from the RFC);</li>
 *   <li>AES-256-GCM (Veil's suite, aead 0x0002): not in RFC 9180's appendix; the case mode 0 / kem 32 / kdf 1 /
 *       aead 2 of the CFRG HPKE test vectors (cfrg/draft-irtf-cfrg-hpke test-vectors.json), stored in
 *       {@code hpke/x25519-sha256-aes256gcm.json} with its source.</li>
 * </ul>
 */
class HpkeRfc9180VectorsTest {

    record Encryption(int seq, byte[] aad, byte[] nonce, byte[] pt, byte[] ct) {
    }

    record Export(byte[] context, int length, byte[] value) {
    }

    record Vector(String name, short aeadId, byte[] info, byte[] ikmE, byte[] ikmR, byte[] skEm, byte[] skRm,
                  byte[] pkEm, byte[] pkRm, byte[] enc, byte[] key, byte[] baseNonce, List<Encryption> encryptions,
                  List<Export> exports) {
        @Override
        public String toString() {
            return name;
        }

        int lastSeq() {
            return encryptions.get(encryptions.size() - 1).seq();
        }
    }

    private static final byte[] A11_PT = unhex("4265617574792069732074727574682c20747275746820626561757479");

    /** RFC 9180 A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, base mode. */
    static Vector rfc9180A11() {
        List<Encryption> encryptions = List.of(
                a11(0, "56d890e5accaaf011cff4b7d",
                        "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a96d8770ac83d07bea87e13c512a"),
                a11(1, "56d890e5accaaf011cff4b7c",
                        "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab251c03d0c22a56b8ca42c2063b84"),
                a11(2, "56d890e5accaaf011cff4b7f",
                        "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb72516491588d96a19ad4a683518973dcc180"),
                a11(4, "56d890e5accaaf011cff4b79",
                        "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a09fc0012bc69fccaa251c0246d"),
                a11(255, "56d890e5accaaf011cff4b82",
                        "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505bf106deefec4a49ac38d71c9e0a"),
                a11(256, "56d890e5accaaf011cff4a7d",
                        "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3fbeda97d2e0e1aba483a2df9f2"));
        List<Export> exports = List.of(
                new Export(new byte[0], 32, unhex("3853fe2b4035195a573ffc53856e77058e15d9ea064de3e59f4961d0095250ee")),
                new Export(unhex("00"), 32, unhex("2e8f0b54673c7029649d4eb9d5e33bf1872cf76d623ff164ac185da9e88c21a5")),
                new Export(unhex("54657374436f6e74657874"), 32,
                        unhex("e9e43065102c3836401bed8c3c3c75ae46be1639869391d62c61f1ec7af54931")));
        return new Vector("RFC 9180 A.1.1 (X25519, HKDF-SHA256, AES-128-GCM)", HPKE.aead_AES_GCM128,
                unhex("4f6465206f6e2061204772656369616e2055726e"),
                unhex("7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234"),
                unhex("6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037"),
                unhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736"),
                unhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8"),
                unhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"),
                unhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d"),
                unhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431"),
                unhex("4531685d41d65f03dc48f6b8302c05b0"),
                unhex("56d890e5accaaf011cff4b7d"),
                encryptions, exports);
    }

    private static Encryption a11(int seq, String nonce, String ct) {
        return new Encryption(seq, ("Count-" + seq).getBytes(StandardCharsets.US_ASCII), unhex(nonce), A11_PT,
                unhex(ct));
    }

    /** The CFRG test-vectors.json case mode 0, kem 0x0020, kdf 0x0001, aead 0x0002 (AES-256-GCM). */
    @SuppressWarnings("unchecked")
    static Vector cfrgAes256Gcm() {
        Map<String, Object> v = TestJson.resource("/hpke/x25519-sha256-aes256gcm.json");
        assertThat(v.get("source")).asString().contains("cfrg/draft-irtf-cfrg-hpke").contains("test-vectors.json");
        assertThat(v.get("mode")).isEqualTo(0L);
        assertThat(v.get("kem_id")).isEqualTo(32L);
        assertThat(v.get("kdf_id")).isEqualTo(1L);
        assertThat(v.get("aead_id")).isEqualTo(2L);
        List<Encryption> encryptions = new ArrayList<>();
        for (Object o : (List<Object>) v.get("encryptions")) {
            Map<String, Object> e = (Map<String, Object>) o;
            encryptions.add(new Encryption(((Long) e.get("seq")).intValue(), h(e, "aad"), h(e, "nonce"), h(e, "pt"),
                    h(e, "ct")));
        }
        List<Export> exports = new ArrayList<>();
        for (Object o : (List<Object>) v.get("exports")) {
            Map<String, Object> e = (Map<String, Object>) o;
            exports.add(new Export(h(e, "exporter_context"), ((Long) e.get("L")).intValue(), h(e, "exported_value")));
        }
        return new Vector("CFRG test-vectors.json (X25519, HKDF-SHA256, AES-256-GCM)", HPKE.aead_AES_GCM256,
                h(v, "info"), h(v, "ikmE"), h(v, "ikmR"), h(v, "skEm"), h(v, "skRm"), h(v, "pkEm"), h(v, "pkRm"),
                h(v, "enc"), h(v, "key"), h(v, "base_nonce"), encryptions, exports);
    }

    private static byte[] h(Map<String, Object> m, String field) {
        Object value = m.get(field);
        assertThat(value).as(field).isInstanceOf(String.class);
        return unhex((String) value);
    }

    static Stream<Vector> vectors() {
        return Stream.of(rfc9180A11(), cfrgAes256Gcm());
    }

    private static HPKE hpke(Vector v) {
        return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, v.aeadId());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void deriveKeyPairReproducesTheKeys(Vector v) {
        HPKE hpke = hpke(v);
        AsymmetricCipherKeyPair e = hpke.deriveKeyPair(v.ikmE());
        AsymmetricCipherKeyPair r = hpke.deriveKeyPair(v.ikmR());
        assertThat(hex(hpke.serializePublicKey(e.getPublic()))).isEqualTo(hex(v.pkEm()));
        // BouncyCastle keeps X25519 private keys clamped (RFC 7748 §5); the vectors list them as DeriveKeyPair
        // outputs them, before clamping. Clamped, they are the same scalar.
        assertThat(hex(hpke.serializePrivateKey(e.getPrivate()))).isEqualTo(hex(clamp(v.skEm())));
        assertThat(hex(hpke.serializePublicKey(r.getPublic()))).isEqualTo(hex(v.pkRm()));
        assertThat(hex(hpke.serializePrivateKey(r.getPrivate()))).isEqualTo(hex(clamp(v.skRm())));
        // and the vectors' unclamped private keys give the vectors' public keys
        AsymmetricCipherKeyPair fromVector = hpke.deserializePrivateKey(v.skRm(), null);
        assertThat(hex(hpke.serializePublicKey(fromVector.getPublic()))).isEqualTo(hex(v.pkRm()));
    }

    private static byte[] clamp(byte[] scalar) {
        byte[] k = scalar.clone();
        k[0] &= (byte) 248;
        k[31] &= 127;
        k[31] |= 64;
        return k;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void senderReproducesEncEncryptionsAndExports(Vector v) throws InvalidCipherTextException {
        HPKE hpke = hpke(v);
        HPKEContextWithEncapsulation ctx = hpke.setupBaseS(hpke.deserializePublicKey(v.pkRm()), v.info(),
                hpke.deriveKeyPair(v.ikmE()));
        assertThat(hex(ctx.getEncapsulation())).isEqualTo(hex(v.enc()));

        Map<Integer, byte[]> sealed = sealAll(ctx, v);
        for (Encryption e : v.encryptions()) {
            assertThat(hex(sealed.get(e.seq()))).as("ciphertext of sequence %d", e.seq()).isEqualTo(hex(e.ct()));
        }
        for (Export x : v.exports()) {
            assertThat(hex(ctx.export(x.context(), x.length()))).as("export %s", hex(x.context()))
                    .isEqualTo(hex(x.value()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void receiverOpensTheVectorCiphertextsAndExportsTheSame(Vector v) throws InvalidCipherTextException {
        HPKE hpke = hpke(v);
        // The sender's ciphertexts fill the sequence numbers the vector does not list (verified above to match it).
        HPKEContextWithEncapsulation sender = hpke.setupBaseS(hpke.deserializePublicKey(v.pkRm()), v.info(),
                hpke.deriveKeyPair(v.ikmE()));
        Map<Integer, byte[]> sealed = sealAll(sender, v);

        HPKEContext receiver = hpke.setupBaseR(v.enc(), hpke.deserializePrivateKey(v.skRm(), v.pkRm()), v.info());
        Map<Integer, Encryption> bySeq = new HashMap<>();
        v.encryptions().forEach(e -> bySeq.put(e.seq(), e));
        for (int seq = 0; seq <= v.lastSeq(); seq++) {
            Encryption listed = bySeq.get(seq);
            byte[] aad = ("Count-" + seq).getBytes(StandardCharsets.US_ASCII);
            byte[] ct = listed != null ? listed.ct() : sealed.get(seq);
            assertThat(hex(receiver.open(aad, ct))).as("plaintext of sequence %d", seq)
                    .isEqualTo(hex(listed != null ? listed.pt() : firstPt(v)));
        }
        for (Export x : v.exports()) {
            assertThat(hex(receiver.export(x.context(), x.length()))).isEqualTo(hex(x.value()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void receiverRefusesAVectorCiphertextOutOfSequence(Vector v) {
        HPKE hpke = hpke(v);
        HPKEContext receiver = hpke.setupBaseR(v.enc(), hpke.deserializePrivateKey(v.skRm(), v.pkRm()), v.info());
        Encryption second = v.encryptions().get(1);
        assertThatThrownBy(() -> receiver.open(second.aad(), second.ct()))
                .isInstanceOf(InvalidCipherTextException.class);
    }

    /** The vector's key and nonces, fed to the JDK's AES-GCM (not BouncyCastle), give the same ciphertexts. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void vectorKeyAndNoncesAgreeWithJdkAesGcm(Vector v) throws Exception {
        assertThat(v.key()).hasSize(v.aeadId() == HPKE.aead_AES_GCM256 ? 32 : 16);
        for (Encryption e : v.encryptions()) {
            byte[] nonce = v.baseNonce().clone();
            for (int i = 0; i < 8; i++) {
                nonce[nonce.length - 1 - i] ^= (byte) (((long) e.seq()) >>> (8 * i));
            }
            assertThat(hex(nonce)).isEqualTo(hex(e.nonce()));
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(v.key(), "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(e.aad());
            assertThat(hex(gcm.doFinal(e.pt()))).isEqualTo(hex(e.ct()));
        }
    }

    /** Veil's own suite instance is the AES-256-GCM one of the CFRG vector, and reproduces it. */
    @Test
    void veilSuiteIsTheVectorSuiteAndReproducesIt() throws InvalidCipherTextException {
        assertThat(E2ee.KEM_ID).isEqualTo((short) 0x0020);
        assertThat(E2ee.KDF_ID).isEqualTo((short) 0x0001);
        assertThat(E2ee.AEAD_ID).isEqualTo((short) 0x0002);
        Vector v = cfrgAes256Gcm();
        HPKE hpke = E2ee.hpke();
        assertThat(hpke.getEncSize()).isEqualTo(E2ee.ENC_LENGTH);
        NodeKeyPair node = NodeKeyPair.derive(7, v.ikmR());
        assertThat(hex(node.keyConfig().publicKey())).isEqualTo(hex(v.pkRm()));
        HPKEContextWithEncapsulation ctx = hpke.setupBaseS(hpke.deserializePublicKey(v.pkRm()), v.info(),
                hpke.deriveKeyPair(v.ikmE()));
        assertThat(hex(ctx.getEncapsulation())).isEqualTo(hex(v.enc()));
        Encryption first = v.encryptions().get(0);
        assertThat(hex(ctx.seal(first.aad(), first.pt()))).isEqualTo(hex(first.ct()));
    }

    /**
     * The JDK-only reference implementation used to check the worked example (docs/e2ee.md §10) reproduces every
     * intermediate value of both vectors' X25519 / HKDF-SHA256 key schedule (AES-256-GCM case: all of them).
     */
    @Test
    void referenceImplementationReproducesTheAes256GcmVectorCompletely() {
        Map<String, Object> v = TestJson.resource("/hpke/x25519-sha256-aes256gcm.json");
        byte[] skE = ReferenceE2ee.deriveSecretKey(h(v, "ikmE"));
        byte[] skR = ReferenceE2ee.deriveSecretKey(h(v, "ikmR"));
        assertThat(hex(skE)).isEqualTo(hex(h(v, "skEm")));
        assertThat(hex(skR)).isEqualTo(hex(h(v, "skRm")));
        assertThat(hex(ReferenceE2ee.publicKey(skE))).isEqualTo(hex(h(v, "pkEm")));
        assertThat(hex(ReferenceE2ee.publicKey(skR))).isEqualTo(hex(h(v, "pkRm")));

        ReferenceE2ee.Context s = ReferenceE2ee.setupBaseS(h(v, "pkRm"), h(v, "info"), h(v, "ikmE"));
        assertThat(hex(s.enc())).isEqualTo(hex(h(v, "enc")));
        assertThat(hex(s.sharedSecret())).isEqualTo(hex(h(v, "shared_secret")));
        assertThat(hex(s.keyScheduleContext())).isEqualTo(hex(h(v, "key_schedule_context")));
        assertThat(hex(s.secret())).isEqualTo(hex(h(v, "secret")));
        assertThat(hex(s.key())).isEqualTo(hex(h(v, "key")));
        assertThat(hex(s.baseNonce())).isEqualTo(hex(h(v, "base_nonce")));
        assertThat(hex(s.exporterSecret())).isEqualTo(hex(h(v, "exporter_secret")));
        Vector vector = cfrgAes256Gcm();
        for (Encryption e : vector.encryptions()) {
            assertThat(hex(s.seal(e.seq(), e.aad(), e.pt()))).isEqualTo(hex(e.ct()));
        }
        for (Export x : vector.exports()) {
            assertThat(hex(s.export(x.context(), x.length()))).isEqualTo(hex(x.value()));
        }
        ReferenceE2ee.Context r = ReferenceE2ee.setupBaseR(h(v, "enc"), h(v, "skRm"), h(v, "info"));
        assertThat(hex(r.sharedSecret())).isEqualTo(hex(h(v, "shared_secret")));
        assertThat(hex(r.open(1, vector.encryptions().get(1).aad(), vector.encryptions().get(1).ct())))
                .isEqualTo(hex(vector.encryptions().get(1).pt()));

        // and the A.1.1 keys (its AEAD differs; the KEM is the same)
        Vector a11 = rfc9180A11();
        assertThat(hex(ReferenceE2ee.deriveSecretKey(a11.ikmE()))).isEqualTo(hex(a11.skEm()));
        assertThat(hex(ReferenceE2ee.publicKey(a11.skRm()))).isEqualTo(hex(a11.pkRm()));
    }

    private static Map<Integer, byte[]> sealAll(HPKEContext ctx, Vector v) throws InvalidCipherTextException {
        Map<Integer, Encryption> bySeq = new HashMap<>();
        v.encryptions().forEach(e -> bySeq.put(e.seq(), e));
        Map<Integer, byte[]> out = new HashMap<>();
        for (int seq = 0; seq <= v.lastSeq(); seq++) {
            Encryption listed = bySeq.get(seq);
            byte[] aad = ("Count-" + seq).getBytes(StandardCharsets.US_ASCII);
            if (listed != null) {
                assertThat(hex(listed.aad())).isEqualTo(hex(aad));
            }
            out.put(seq, ctx.seal(aad, listed != null ? listed.pt() : firstPt(v)));
        }
        return out;
    }

    private static byte[] firstPt(Vector v) {
        return v.encryptions().get(0).pt();
    }
}
