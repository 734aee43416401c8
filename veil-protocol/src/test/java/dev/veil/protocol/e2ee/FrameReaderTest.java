package dev.veil.protocol.e2ee;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keyless frame splitter: frames come out whole however the bytes are split, a large frame included. */
class FrameReaderTest {

    private static byte[] body(byte[]... payloads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[E2ee.RESPONSE_NONCE_LENGTH]);
        for (int i = 0; i < payloads.length; i++) {
            byte[] p = payloads[i];
            out.write(i == payloads.length - 1 ? E2ee.FLAG_FINAL : 0);
            out.write(p.length >>> 24);
            out.write(p.length >>> 16);
            out.write(p.length >>> 8);
            out.write(p.length);
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static List<FrameReader.Frame> read(byte[] body, int readSize) throws E2eeException {
        FrameReader reader = new FrameReader();
        List<FrameReader.Frame> frames = new ArrayList<>();
        for (int at = 0; at < body.length; at += readSize) {
            frames.addAll(reader.accept(Arrays.copyOfRange(body, at, Math.min(body.length, at + readSize))));
        }
        assertThat(reader.hasPartialData()).isFalse();
        return frames;
    }

    @Test
    void framesComeOutWholeForEveryReadSize() throws E2eeException {
        byte[] body = body(new byte[] {1, 2, 3}, new byte[0], new byte[] {4, 5, 6, 7, 8, 9, 10});
        for (int size = 1; size <= body.length; size++) {
            List<FrameReader.Frame> frames = read(body, size);
            assertThat(frames).as("read size %d", size).hasSize(3);
            assertThat(frames.get(0).payload()).containsExactly(1, 2, 3);
            assertThat(frames.get(1).payload()).isEmpty();
            assertThat(frames.get(2).payload()).containsExactly(4, 5, 6, 7, 8, 9, 10);
            assertThat(frames.get(2).last()).isTrue();
        }
    }

    @Test
    void aLargeFrameInManyReadsComesOutOnceComplete() throws E2eeException {
        byte[] large = new byte[8 << 20];
        Arrays.fill(large, (byte) 7);
        byte[] body = body(large, new byte[] {1});
        List<FrameReader.Frame> frames = read(body, 4 * 1024);
        assertThat(frames).hasSize(2);
        assertThat(frames.get(0).payload()).hasSize(large.length);
        assertThat(frames.get(1).payload()).containsExactly(1);
    }
}
