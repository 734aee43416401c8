package dev.veil.protocol.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.protocol.stream.SealingOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ClientSealingTest {

    private final byte[][] pair = ClientSealing.generateKeyPair();

    private byte[] part(String batch, int kind, int index, String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SealingOutputStream sealing = ClientSealing.sealPart(out, pair[1], batch, kind, index);
        sealing.write(text.getBytes(StandardCharsets.UTF_8));
        sealing.finish();
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private String open(byte[] file, byte[] privateKey) throws IOException {
        return new String(ClientSealing.open(new ByteArrayInputStream(file), privateKey).readAllBytes(), StandardCharsets.UTF_8);
    }

    @Test
    void partsDecryptInOrderWithThePrivateKeyOnly() throws IOException {
        byte[] file = concat(part("batch_1", 1, 0, "line one\n"), part("batch_1", 1, 1, "line two\n"),
                part("batch_1", 1, 2, ""));
        assertThat(new String(file, StandardCharsets.ISO_8859_1)).doesNotContain("line one");
        assertThat(open(file, pair[0])).isEqualTo("line one\nline two\n");
        assertThat(ClientSealing.publicKeyOf(pair[0])).isEqualTo(pair[1]);
        byte[] other = ClientSealing.generateKeyPair()[0];
        assertThatThrownBy(() -> open(file, other)).isInstanceOf(IOException.class);
    }

    @Test
    void missingReorderedMixedOrTamperedPartsAreRefused() throws IOException {
        byte[] p0 = part("batch_1", 1, 0, "a\n");
        byte[] p1 = part("batch_1", 1, 1, "b\n");
        assertThatThrownBy(() -> open(concat(p1, p0), pair[0])).hasMessageContaining("expected");
        assertThatThrownBy(() -> open(concat(p0, part("batch_2", 1, 1, "x")), pair[0])).hasMessageContaining("mixed");
        assertThatThrownBy(() -> open(concat(p0, part("batch_1", 2, 1, "x")), pair[0])).hasMessageContaining("mixed");
        byte[] relabelled = p1.clone();
        relabelled[8] = 0; // part index 1 -> 0: bound into HPKE info, so decryption fails
        assertThatThrownBy(() -> open(relabelled, pair[0])).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> open(Arrays.copyOf(concat(p0, p1), p0.length + p1.length - 1), pair[0]))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> open(new byte[0], pair[0])).isInstanceOf(IOException.class);
    }

    @Test
    void keysEncodeAsBase64Url() {
        String text = ClientSealing.encodeKey(pair[1]);
        assertThat(text).hasSize(43).doesNotContain("=");
        assertThat(ClientSealing.decodeKey(text)).isEqualTo(pair[1]);
        assertThatThrownBy(() -> ClientSealing.decodeKey("abc")).isInstanceOf(IllegalArgumentException.class);
    }
}
