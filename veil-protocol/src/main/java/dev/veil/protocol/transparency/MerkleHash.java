package dev.veil.protocol.transparency;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The hashes of an RFC 9162 Merkle tree (section 2.1.1) with SHA-256: a leaf is hashed with a {@code 0x00} prefix and
 * an interior node with {@code 0x01}, so that no leaf can be passed off as a node (second-preimage resistance). The
 * empty tree's root is the hash of the empty string.
 */
public final class MerkleHash {

    /** Every hash in the tree is a SHA-256 digest of this many bytes. */
    public static final int SIZE = 32;

    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;

    private MerkleHash() {
    }

    /** The hash of the leaf whose entry is {@code entry}: SHA-256(0x00 || entry). */
    public static byte[] leaf(byte[] entry) {
        MessageDigest sha = sha256();
        sha.update(LEAF_PREFIX);
        sha.update(entry);
        return sha.digest();
    }

    /** The hash of the interior node over {@code left} and {@code right}: SHA-256(0x01 || left || right). */
    public static byte[] node(byte[] left, byte[] right) {
        MessageDigest sha = sha256();
        sha.update(NODE_PREFIX);
        sha.update(left);
        sha.update(right);
        return sha.digest();
    }

    /** The root of the empty tree: SHA-256 of the empty string. */
    public static byte[] emptyRoot() {
        return sha256().digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
