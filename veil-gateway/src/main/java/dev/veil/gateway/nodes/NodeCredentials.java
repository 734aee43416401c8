package dev.veil.gateway.nodes;

import dev.veil.protocol.PrivateFile;
import dev.veil.protocol.gatewayauth.GatewaySignature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret a gateway signs every call to a joined node with (attestation and inference), bound to that node's
 * registration: {@code HMAC-SHA256(key, "veil node credential v1" || 0x00 || registration id)}. Derived, not stored,
 * so the store never holds it; gateways sharing a store share the key file ({@value #FILE} in the data directory)
 * and so derive the same credential for the same registration.
 */
public final class NodeCredentials {

    /** The key file's name in the data directory. */
    public static final String FILE = "node-credential.key";
    private static final byte[] CONTEXT = "veil node credential v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final String PREFIX = "veil_nc_";

    private final byte[] key;

    NodeCredentials(byte[] key) {
        this.key = key.clone();
    }

    /** The credentials of the gateway whose data directory is {@code dataDir} (the key is made on first use). */
    public static NodeCredentials load(Path dataDir) throws IOException {
        return new NodeCredentials(PrivateFile.seed(dataDir.resolve(FILE), "node credential key"));
    }

    /** The credential of registration {@code registrationId}. */
    public String credential(String registrationId) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(CONTEXT);
            mac.update(registrationId.getBytes(StandardCharsets.UTF_8));
            return PREFIX + HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is required on every Java platform", e);
        }
    }

    /**
     * Whether {@code signatureHeader} ({@link GatewaySignature}) signs this body-less request with registration
     * {@code registrationId}'s credential, at a time within the allowed skew of {@code nowMillis}. Used for the node's
     * leave, which is idempotent, so no nonce is remembered: a replay within the skew only leaves again.
     */
    public boolean signed(String registrationId, String signatureHeader, String method, String uri, long nowMillis) {
        GatewaySignature.Presented presented = GatewaySignature.parse(signatureHeader);
        if (presented == null || !presented.fresh(nowMillis)) {
            return false;
        }
        byte[] secret = credential(registrationId).getBytes(StandardCharsets.UTF_8);
        return presented.keyId().equals(GatewaySignature.keyId(secret))
                && presented.verifies(secret, method, uri, GatewaySignature.bodyDigest(null));
    }
}
