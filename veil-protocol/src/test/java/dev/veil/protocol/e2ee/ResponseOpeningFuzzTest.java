package dev.veil.protocol.e2ee;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Fuzz target for the client side of an e2ee response: {@link FrameReader} splitting the body into the nonce and
 * frames, {@link ResponseOpener} decrypting them, and receipt verification. In {@code ./mvnw verify} it runs the
 * inputs under {@code src/test/resources/dev/veil/protocol/e2ee/ResponseOpeningFuzzTestInputs}; {@code .ci/fuzz} fuzzes
 * it (docs/fuzzing.md).
 *
 * <p>Properties: any response body is refused only with a typed {@link E2eeException}; the frames the reader finds do
 * not depend on how the body was split into reads.
 */
class ResponseOpeningFuzzTest {

    @FuzzTest
    void open(byte[] input) {
        if (input.length == 0) {
            return;
        }
        // The first byte says where the body is split into two reads.
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        int split = body.length == 0 ? 0 : (input[0] & 0xff) % (body.length + 1);
        byte[] first = Arrays.copyOfRange(body, 0, split);
        byte[] second = Arrays.copyOfRange(body, split, body.length);

        ResponseOpener opener = E2eeFuzzFixture.SEALED.responseOpener();
        try {
            for (byte[] read : new byte[][] {first, second}) {
                for (ResponseOpener.Part part : opener.accept(read)) {
                    if (part instanceof ResponseOpener.Receipt receipt) {
                        opener.verifyReceipt(receipt.signed(), E2eeFuzzFixture.SIGNER.publicKey());
                    }
                }
            }
            opener.end();
        } catch (E2eeException refused) {
            // typed refusal: what the client reports
        }

        java.util.List<FrameReader.Frame> frames;
        try {
            frames = new FrameReader().accept(body);
        } catch (E2eeException refused) {
            return;
        }
        // The whole body parsed, so the same bytes in two reads must parse to the same frames.
        FrameReader reader = new FrameReader();
        java.util.List<FrameReader.Frame> pieces = new java.util.ArrayList<>();
        try {
            pieces.addAll(reader.accept(first));
            pieces.addAll(reader.accept(second));
        } catch (E2eeException e) {
            throw new AssertionError("refused in two reads what it accepted in one", e);
        }
        assertThat(pieces).hasSameSizeAs(frames);
        for (int i = 0; i < frames.size(); i++) {
            assertThat(pieces.get(i).raw()).isEqualTo(frames.get(i).raw());
        }
    }
}
