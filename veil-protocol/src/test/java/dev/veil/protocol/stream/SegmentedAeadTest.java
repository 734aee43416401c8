package dev.veil.protocol.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SegmentedAeadTest {

    private final byte[] key = SegmentedAead.newKey();
    private final byte[] aad = "file-abc".getBytes(StandardCharsets.US_ASCII);

    private byte[] seal(byte[] plaintext) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SealingOutputStream sealing = new SealingOutputStream(out, key, aad)) {
            // Odd write sizes cross segment boundaries.
            int off = 0;
            int step = 1;
            while (off < plaintext.length) {
                int n = Math.min(step, plaintext.length - off);
                sealing.write(plaintext, off, n);
                off += n;
                step = step * 3 + 7;
            }
        }
        return out.toByteArray();
    }

    private byte[] open(byte[] ciphertext, byte[] withAad) throws IOException {
        try (InputStream in = new OpeningInputStream(new ByteArrayInputStream(ciphertext), key, withAad, true)) {
            return in.readAllBytes();
        }
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void roundTripsAtEverySizeAroundSegmentBoundaries() throws IOException {
        for (int size : new int[] {0, 1, 100, 65535, 65536, 65537, 2 * 65536, 3 * 65536 + 17}) {
            byte[] plaintext = random(size);
            byte[] sealed = seal(plaintext);
            assertThat(open(sealed, aad)).as("size %d", size).isEqualTo(plaintext);
            int segments = Math.max(1, (size + SegmentedAead.SEGMENT_SIZE - 1) / SegmentedAead.SEGMENT_SIZE);
            assertThat(sealed).hasSize(SegmentedAead.HEADER_LENGTH + size + segments * (5 + SegmentedAead.TAG_LENGTH));
        }
    }

    @Test
    void ciphertextHidesThePlaintext() throws IOException {
        byte[] plaintext = "CANARY-plaintext-marker".repeat(100).getBytes(StandardCharsets.US_ASCII);
        byte[] sealed = seal(plaintext);
        assertThat(new String(sealed, StandardCharsets.ISO_8859_1)).doesNotContain("CANARY");
        assertThat(seal(plaintext)).as("fresh salt and nonce prefix each time").isNotEqualTo(sealed);
    }

    @Test
    void everyTruncationIsRefused() throws IOException {
        byte[] sealed = seal(random(2 * 65536 + 100));
        for (int cut : new int[] {0, 10, SegmentedAead.HEADER_LENGTH, SegmentedAead.HEADER_LENGTH + 3,
                SegmentedAead.HEADER_LENGTH + 5 + 65536 + 16, sealed.length - 1 - 100 - 16 - 5, sealed.length - 1}) {
            byte[] truncated = Arrays.copyOf(sealed, cut);
            assertThatThrownBy(() -> open(truncated, aad)).as("cut at %d", cut)
                    .isInstanceOf(OpeningInputStream.StreamIntegrityException.class);
        }
    }

    @Test
    void truncationAtASegmentBoundaryIsRefused() throws IOException {
        byte[] sealed = seal(random(2 * 65536 + 100));
        // Drop the final segment exactly: the rest is a well-formed sequence of full segments without a final one.
        int withoutFinal = SegmentedAead.HEADER_LENGTH + 2 * (5 + 65536 + 16);
        assertThatThrownBy(() -> open(Arrays.copyOf(sealed, withoutFinal), aad))
                .isInstanceOf(OpeningInputStream.StreamIntegrityException.class).hasMessageContaining("truncated");
    }

    @Test
    void anyChangedByteIsRefused() throws IOException {
        byte[] sealed = seal(random(65536 + 50));
        for (int i = 0; i < sealed.length; i += 997) {
            byte[] tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assertThatThrownBy(() -> open(tampered, aad)).as("byte %d", i).isInstanceOf(IOException.class);
        }
        byte[] flag = sealed.clone();
        flag[SegmentedAead.HEADER_LENGTH] = SegmentedAead.FLAG_FINAL; // first segment claims to be the last
        assertThatThrownBy(() -> open(flag, aad)).isInstanceOf(IOException.class);
    }

    @Test
    void reorderedSegmentsWrongAadWrongKeyAndTrailingDataAreRefused() throws IOException {
        byte[] a = random(3 * 65536);
        byte[] sealed = seal(a);
        int seg = 5 + 65536 + 16;
        int h = SegmentedAead.HEADER_LENGTH;
        byte[] swapped = sealed.clone();
        System.arraycopy(sealed, h, swapped, h + seg, seg);
        System.arraycopy(sealed, h + seg, swapped, h, seg);
        assertThatThrownBy(() -> open(swapped, aad)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> open(sealed, "file-other".getBytes(StandardCharsets.US_ASCII))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> new OpeningInputStream(new ByteArrayInputStream(sealed), SegmentedAead.newKey(), aad, true)
                .readAllBytes()).isInstanceOf(IOException.class);
        byte[] trailing = Arrays.copyOf(sealed, sealed.length + 1);
        assertThatThrownBy(() -> open(trailing, aad)).hasMessageContaining("after the final segment");
    }

    @Test
    void concatenatedStreamsReadOneAfterTheOther() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SealingOutputStream first = new SealingOutputStream(out, key, aad);
        first.write("one".getBytes(StandardCharsets.US_ASCII));
        first.finish();
        SealingOutputStream second = new SealingOutputStream(out, key, aad);
        second.write("two".getBytes(StandardCharsets.US_ASCII));
        second.finish();
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        assertThat(new OpeningInputStream(in, key, aad, false, false).readAllBytes()).isEqualTo("one".getBytes(StandardCharsets.US_ASCII));
        assertThat(new OpeningInputStream(in, key, aad, true).readAllBytes()).isEqualTo("two".getBytes(StandardCharsets.US_ASCII));
    }
}
