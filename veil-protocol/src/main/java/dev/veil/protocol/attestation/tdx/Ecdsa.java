package dev.veil.protocol.attestation.tdx;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.util.Arrays;

/** ECDSA P-256 / SHA-256 with the raw encodings Intel uses: keys as X||Y, signatures as r||s (32 bytes each). */
final class Ecdsa {

    private static final ECParameterSpec P256;
    private static final BigInteger P;
    private static final BigInteger A;
    private static final BigInteger B;

    static {
        try {
            AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
            params.init(new ECGenParameterSpec("secp256r1"));
            P256 = params.getParameterSpec(ECParameterSpec.class);
            P = ((java.security.spec.ECFieldFp) P256.getCurve().getField()).getP();
            A = P256.getCurve().getA();
            B = P256.getCurve().getB();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Ecdsa() {
    }

    /** The P-256 public key with raw coordinates {@code xy} (64 bytes), refused unless the point is on the curve. */
    static ECPublicKey p256Key(byte[] xy) throws GeneralSecurityException {
        if (xy.length != 64) {
            throw new GeneralSecurityException("a raw P-256 key has 64 bytes, got " + xy.length);
        }
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(xy, 0, 32));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(xy, 32, 64));
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0
                || !y.multiply(y).subtract(x.pow(3).add(A.multiply(x)).add(B)).mod(P).equals(BigInteger.ZERO)) {
            throw new GeneralSecurityException("the key is not a point on P-256");
        }
        return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(new ECPoint(x, y), P256));
    }

    /** Whether {@code key} is an EC key on P-256. */
    static boolean isP256(PublicKey key) {
        return key instanceof ECPublicKey ec && ec.getParams().getCurve().equals(P256.getCurve());
    }

    /** Verifies a raw r||s ECDSA P-256/SHA-256 signature. */
    static boolean verify(PublicKey key, byte[] data, byte[] rawSignature) throws GeneralSecurityException {
        if (rawSignature.length != 64) {
            return false;
        }
        Signature s = Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initVerify(key);
        s.update(data);
        return s.verify(rawSignature);
    }
}
