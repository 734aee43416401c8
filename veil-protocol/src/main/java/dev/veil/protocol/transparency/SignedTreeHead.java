package dev.veil.protocol.transparency;

import dev.veil.protocol.e2ee.SigningKey;

import java.nio.ByteBuffer;

/**
 * A log's signed statement of its current tree: size, time and root, signed with the log's Ed25519 key. The signed
 * bytes are the TLS encoding of RFC 9162's {@code TreeHeadDataV2} (section 4.10) with no extensions: a uint64
 * timestamp in milliseconds since the epoch, a uint64 tree size, the root hash with a one-byte length, and a two-byte
 * zero extensions length.
 *
 * @param treeSize      the number of leaves the head covers
 * @param timestampMillis when the log signed it
 * @param rootHash      the 32-byte root of the tree of {@code treeSize} leaves
 * @param signature     the log key's 64-byte Ed25519 signature over {@link #signedBytes()}
 */
public record SignedTreeHead(long treeSize, long timestampMillis, byte[] rootHash, byte[] signature) {

    /** Compact validation: a head with a negative size or a malformed root cannot be built. */
    public SignedTreeHead {
        if (treeSize < 0 || timestampMillis < 0) {
            throw new IllegalArgumentException("a tree head needs a non-negative size and time");
        }
        if (rootHash == null || rootHash.length != MerkleHash.SIZE) {
            throw new IllegalArgumentException("a tree head's root is a " + MerkleHash.SIZE + "-byte hash");
        }
        rootHash = rootHash.clone();
        signature = signature == null ? new byte[0] : signature.clone();
    }

    /** Signs the head of a tree of {@code treeSize} leaves with root {@code rootHash} at {@code timestampMillis}. */
    public static SignedTreeHead sign(SigningKey logKey, long treeSize, long timestampMillis, byte[] rootHash) {
        SignedTreeHead unsigned = new SignedTreeHead(treeSize, timestampMillis, rootHash, null);
        return new SignedTreeHead(treeSize, timestampMillis, rootHash, logKey.sign(unsigned.signedBytes()));
    }

    /** The bytes the signature covers: TLS-encoded {@code TreeHeadDataV2}. */
    public byte[] signedBytes() {
        ByteBuffer out = ByteBuffer.allocate(8 + 8 + 1 + rootHash.length + 2);
        out.putLong(timestampMillis).putLong(treeSize).put((byte) rootHash.length).put(rootHash).putShort((short) 0);
        return out.array();
    }

    /** Checks the signature with the log's raw 32-byte Ed25519 public key. */
    public void verify(byte[] logPublicKey) throws InvalidProof {
        if (!SigningKey.verify(logPublicKey, signedBytes(), signature)) {
            throw new InvalidProof("the tree head's signature does not verify with the log key");
        }
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SignedTreeHead h && h.treeSize == treeSize && h.timestampMillis == timestampMillis
                && java.util.Arrays.equals(h.rootHash, rootHash) && java.util.Arrays.equals(h.signature, signature);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(treeSize) * 31 + java.util.Arrays.hashCode(rootHash);
    }

    @Override
    public String toString() {
        return "SignedTreeHead[size=" + treeSize + ", time=" + timestampMillis + "]";
    }
}
