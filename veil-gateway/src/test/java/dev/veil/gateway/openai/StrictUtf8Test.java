package dev.veil.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StrictUtf8Test {

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
            // refused: the forms Jackson 2.22 lets through, then the ones it refuses itself
            "ed a0 80,         encoded high surrogate (CESU-8)",
            "ed b0 80,         encoded low surrogate",
            "ed a0 bd ed b8 80, surrogate pair as CESU-8",
            "c0 af,            overlong '/' in two bytes",
            "c1 bf,            overlong DEL",
            "e0 80 af,         overlong '/' in three bytes",
            "e0 9f bf,         overlong U+07FF",
            "f0 80 80 af,      overlong '/' in four bytes",
            "f0 8f bf bf,      overlong U+FFFF",
            "f4 90 80 80,      above U+10FFFF",
            "f5 80 80 80,      lead byte F5",
            "f8 88 80 80 80,   five-byte form",
            "ff,               byte FF",
            "80,               stray continuation byte",
            "e2 82,            truncated three-byte sequence",
            "e2 82 41,         three-byte sequence cut by ASCII",
            "f0 9f 98,         truncated four-byte sequence",
            "c3,               lone lead byte at the end",
    })
    void refusesInvalidSequences(String hex, String what) {
        byte[] sequence = HexFormat.ofDelimiter(" ").parseHex(hex.trim());
        assertThat(StrictUtf8.firstInvalid(sequence)).as(what).isZero();
        // The offset is found after an ASCII run longer than a word, and inside longer valid text.
        byte[] prefix = "0123456789abcdef\u00e9\u20ac\uD83D\uDE00 ".getBytes(StandardCharsets.UTF_8);
        byte[] embedded = new byte[prefix.length + sequence.length + 9];
        System.arraycopy(prefix, 0, embedded, 0, prefix.length);
        System.arraycopy(sequence, 0, embedded, prefix.length, sequence.length);
        java.util.Arrays.fill(embedded, prefix.length + sequence.length, embedded.length, (byte) 'x');
        assertThat(StrictUtf8.firstInvalid(embedded)).as(what).isEqualTo(prefix.length);
    }

    @ParameterizedTest
    @CsvSource({"41", "c2 80", "df bf", "e0 a0 80", "ed 9f bf", "ee 80 80", "ef bf bf", "f0 90 80 80", "f4 8f bf bf", "f0 9f 98 80"})
    void acceptsTheEdgesOfEachRange(String hex) {
        assertThat(StrictUtf8.firstInvalid(HexFormat.ofDelimiter(" ").parseHex(hex))).isEqualTo(-1);
    }

    @Test
    void agreesWithTheJdksStrictDecoderOnEveryTwoByteInputAndOnSeededRandomInputs() {
        for (int a = 0; a < 256; a++) {
            for (int b = 0; b < 256; b++) {
                byte[] bytes = {(byte) a, (byte) b};
                assertThat(StrictUtf8.firstInvalid(bytes) < 0).as("%02x %02x", a, b).isEqualTo(jdkAccepts(bytes));
            }
        }
        Random random = new Random(11);
        for (int i = 0; i < 200_000; i++) {
            byte[] bytes = new byte[1 + random.nextInt(12)];
            for (int j = 0; j < bytes.length; j++) {
                // Mostly lead and continuation bytes near the range edges, some ASCII.
                int r = random.nextInt(8);
                bytes[j] = (byte) (r == 0 ? random.nextInt(128) : r < 4 ? 0x80 + random.nextInt(64) : 0xC0 + random.nextInt(64));
            }
            assertThat(StrictUtf8.firstInvalid(bytes) < 0).as(HexFormat.of().formatHex(bytes)).isEqualTo(jdkAccepts(bytes));
        }
    }

    private static boolean jdkAccepts(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
