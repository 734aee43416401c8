package dev.veil.protocol.attestation.tdx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One entry of a TD's measurement event log: the RTMR it extended (0..3, zero-based as in the Linux CCEL and dstack's
 * logs; the TCG log's MR index 1..4 minus one) and the SHA-384 digest it extended it with.
 *
 * <p>For boot-time events (firmware, kernel, command line) the digest is taken as logged: their pre-image is the
 * firmware's data, which the log does not carry. For dstack runtime events ({@link #DSTACK_RUNTIME_EVENT_TYPE}, the
 * application's identity in RTMR3: app id, compose hash, instance id, key provider, ...) the digest is recomputed from
 * the event's name and payload, so the payload a verifier reads is the one the register holds.
 *
 * @param imr       the RTMR index, 0..3
 * @param eventType the event type (TCG type, or {@link #DSTACK_RUNTIME_EVENT_TYPE})
 * @param digest    the logged SHA-384 digest (48 bytes), or empty for a runtime event that carries only its payload
 * @param name      the event name (dstack runtime events: {@code app-id}, {@code compose-hash}, ...); may be empty
 * @param payload   the event data (for boot events often stripped to nothing)
 * @param version   dstack's runtime-event digest version: 1 ({@code type_le || ":" || name || ":" || payload}) or 2
 *                  (canonical JSON of name, payload in hex, and type)
 */
public record TdxEvent(int imr, long eventType, byte[] digest, String name, byte[] payload, int version) {

    /** dstack's event type for runtime (application) events, extended into RTMR3. */
    public static final long DSTACK_RUNTIME_EVENT_TYPE = 0x08000001L;
    public static final int DIGEST_SIZE = 48;

    public TdxEvent {
        if (imr < 0 || imr > 3) {
            throw new IllegalArgumentException("RTMR index must be 0..3, got " + imr);
        }
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("runtime event version must be 1 or 2, got " + version);
        }
        digest = digest == null ? new byte[0] : digest.clone();
        payload = payload == null ? new byte[0] : payload.clone();
        name = name == null ? "" : name;
    }

    /** Whether this is a dstack runtime event, whose digest is recomputed from name and payload. */
    public boolean runtimeEvent() {
        return eventType == DSTACK_RUNTIME_EVENT_TYPE;
    }

    @Override
    public byte[] digest() {
        return digest.clone();
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    /** The digest of a runtime event, computed from its name and payload as dstack does. */
    public byte[] runtimeDigest() {
        byte[] preimage;
        if (version == 1) {
            byte[] n = name.getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + 1 + n.length + 1 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt((int) DSTACK_RUNTIME_EVENT_TYPE).put((byte) ':').put(n).put((byte) ':').put(payload);
            preimage = b.array();
        } else {
            // RFC 8785 canonical JSON of {"name", "payload" (hex), "type"}: keys sorted, no whitespace.
            preimage = ("{\"name\":" + jsonString(name) + ",\"payload\":\"" + HexFormat.of().formatHex(payload)
                    + "\",\"type\":" + DSTACK_RUNTIME_EVENT_TYPE + "}").getBytes(StandardCharsets.UTF_8);
        }
        return sha384(preimage);
    }

    /** RFC 8785 string serialisation: the short escapes, other control characters as lower-case \\u00xx. */
    private static String jsonString(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    static byte[] sha384(byte[]... parts) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-384");
            for (byte[] p : parts) {
                md.update(p);
            }
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
