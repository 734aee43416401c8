package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The clear routing metadata of an e2ee request, bound into the HPKE {@code info} so that changing it in transit
 * makes decryption fail.
 *
 * @param path   the endpoint path, e.g. {@code /v1/chat/completions}
 * @param model  the public model id
 * @param stream whether the encrypted body asks for a stream
 */
public record RequestMeta(String path, String model, boolean stream) {

    /** {@code info = label || 0x00 || hdr || len16(path) || path || len16(model) || model || stream}. */
    byte[] info(byte[] hdr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96);
        out.writeBytes(E2ee.REQUEST_LABEL);
        out.write(0);
        out.writeBytes(hdr);
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        byte[] m = model.getBytes(StandardCharsets.UTF_8);
        E2ee.u16(out, p.length);
        out.writeBytes(p);
        E2ee.u16(out, m.length);
        out.writeBytes(m);
        out.write(stream ? 1 : 0);
        return out.toByteArray();
    }
}
