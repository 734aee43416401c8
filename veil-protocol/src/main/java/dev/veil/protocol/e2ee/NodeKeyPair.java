package dev.veil.protocol.e2ee;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;

/** A node's HPKE key pair and its key configuration. The private key never leaves the node's memory. */
public final class NodeKeyPair {

    private final AsymmetricCipherKeyPair pair;
    private final KeyConfig config;

    private NodeKeyPair(AsymmetricCipherKeyPair pair, int keyId) {
        this.pair = pair;
        this.config = new KeyConfig(keyId, E2ee.hpke().serializePublicKey(pair.getPublic()));
    }

    /** A fresh random key pair. */
    public static NodeKeyPair generate(int keyId) {
        return new NodeKeyPair(E2ee.hpke().generatePrivateKey(), keyId);
    }

    /** A key pair derived from input keying material (RFC 9180 DeriveKeyPair): for fixed test keys only. */
    public static NodeKeyPair derive(int keyId, byte[] ikm) {
        return new NodeKeyPair(E2ee.hpke().deriveKeyPair(ikm), keyId);
    }

    public KeyConfig keyConfig() {
        return config;
    }

    AsymmetricCipherKeyPair pair() {
        return pair;
    }

    @Override
    public String toString() {
        return "NodeKeyPair[" + config.nodeKeyId() + "]";
    }
}
