package dev.veil.node;

import dev.veil.protocol.e2ee.KeyConfig;
import dev.veil.protocol.e2ee.NodeKeyPair;
import dev.veil.protocol.e2ee.ReplayGuard;

/**
 * One HPKE key the node decrypts with, and the replay set that lives exactly as long as it does.
 *
 * @param pair      the key pair (private half in memory only)
 * @param replay    the encapsulated keys this key has accepted
 * @param nodeKeyId the id that names it in {@code Veil-Node-Key}
 */
record NodeKey(NodeKeyPair pair, ReplayGuard replay, String nodeKeyId) {

    static NodeKey generate(int keyId, int replayCapacity) {
        NodeKeyPair pair = NodeKeyPair.generate(keyId);
        return new NodeKey(pair, new ReplayGuard(replayCapacity), pair.keyConfig().nodeKeyId());
    }

    KeyConfig keyConfig() {
        return pair.keyConfig();
    }

    int keyId() {
        return pair.keyConfig().keyId();
    }

    @Override
    public String toString() {
        return "NodeKey[" + nodeKeyId + "]";
    }
}
