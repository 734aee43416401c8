package dev.veil.gateway.openai;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Strict UTF-8 validation (RFC 3629): refuses overlong forms ({@code C0 AF}, {@code E0 80 AF}, {@code F0 80 80 AF}),
 * encoded UTF-16 surrogates ({@code ED A0 80}, as CESU-8 writes them), code points above U+10FFFF, stray continuation
 * bytes and truncated sequences.
 *
 * <p>Why Veil checks this itself: Jackson 2.22's {@code UTF8StreamJsonParser} rejects malformed sequence structure,
 * but accepts overlong forms and code points above U+10FFFF everywhere, and surrogates in strings it skips without
 * decoding (it refuses them only when the string is decoded). A body that passes the inspector must pass every later
 * reader unchanged, so the bytes are checked once, up front.
 *
 * <p>Cost: eight bytes per step while they are ASCII (one word load and mask), a table-free check per multi-byte
 * sequence otherwise; no allocation.
 */
public final class StrictUtf8 {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;

    private StrictUtf8() {
    }

    /** The offset of the first byte of the first invalid sequence in {@code bytes}, or -1 when all of it is valid. */
    public static int firstInvalid(byte[] bytes) {
        return firstInvalid(bytes, 0, bytes.length);
    }

    /** As {@link #firstInvalid(byte[])} for {@code bytes[from, to)}; the offset returned is into {@code bytes}. */
    public static int firstInvalid(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to) {
            while (i + Long.BYTES <= to && ((long) LONGS.get(bytes, i) & HIGH_BITS) == 0) {
                i += Long.BYTES;
            }
            if (i >= to) {
                break;
            }
            int lead = bytes[i];
            if (lead >= 0) {
                i++;
                continue;
            }
            int length = sequenceLength(bytes, i, to, lead & 0xFF);
            if (length == 0) {
                return i;
            }
            i += length;
        }
        return -1;
    }

    /** The length of the valid sequence starting with {@code lead} at {@code i}, or 0 when it is not valid. */
    private static int sequenceLength(byte[] bytes, int i, int to, int lead) {
        if (lead < 0xC2) {
            return 0; // a continuation byte out of place, or C0/C1: an overlong form of ASCII
        }
        if (lead < 0xE0) {
            return i + 1 < to && continuation(bytes[i + 1]) ? 2 : 0;
        }
        if (lead < 0xF0) {
            if (i + 2 >= to) {
                return 0;
            }
            int second = bytes[i + 1] & 0xFF;
            boolean secondInRange = lead == 0xE0 ? second >= 0xA0 // below: overlong
                    : lead == 0xED ? second <= 0x9F // above: a UTF-16 surrogate
                    : true;
            return secondInRange && continuation(bytes[i + 1]) && continuation(bytes[i + 2]) ? 3 : 0;
        }
        if (lead < 0xF5) {
            if (i + 3 >= to) {
                return 0;
            }
            int second = bytes[i + 1] & 0xFF;
            boolean secondInRange = lead == 0xF0 ? second >= 0x90 // below: overlong
                    : lead == 0xF4 ? second <= 0x8F // above: beyond U+10FFFF
                    : true;
            return secondInRange && continuation(bytes[i + 1]) && continuation(bytes[i + 2])
                    && continuation(bytes[i + 3]) ? 4 : 0;
        }
        return 0; // F5..FF never occur in UTF-8
    }

    private static boolean continuation(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
