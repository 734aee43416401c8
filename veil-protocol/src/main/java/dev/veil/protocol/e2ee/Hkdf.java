package dev.veil.protocol.e2ee;

import java.io.ByteArrayOutputStream;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Plain HKDF-SHA256 (RFC 5869), as RFC 9458 uses it for the response key: no HPKE labels. */
final class Hkdf {

    private Hkdf() {
    }

    static byte[] extract(byte[] salt, byte[] ikm) {
        return mac(salt.length == 0 ? new byte[32] : salt, ikm);
    }

    static byte[] expand(byte[] prk, byte[] info, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        byte[] previous = new byte[0];
        for (int counter = 1; out.size() < length; counter++) {
            byte[] input = new byte[previous.length + info.length + 1];
            System.arraycopy(previous, 0, input, 0, previous.length);
            System.arraycopy(info, 0, input, previous.length, info.length);
            input[input.length - 1] = (byte) counter;
            previous = mac(prk, input);
            out.write(previous, 0, previous.length);
        }
        byte[] all = out.toByteArray();
        byte[] result = new byte[length];
        System.arraycopy(all, 0, result, 0, length);
        return result;
    }

    private static byte[] mac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
