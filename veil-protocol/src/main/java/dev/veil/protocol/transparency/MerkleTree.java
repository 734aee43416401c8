package dev.veil.protocol.transparency;

import java.util.ArrayList;
import java.util.List;

/**
 * Roots and proofs over a list of leaf hashes, as RFC 9162 defines them (section 2.1): the tree head {@code MTH}, the
 * inclusion proof {@code PATH} and the consistency proof {@code PROOF}. These static forms recompute every hash from
 * the leaves (O(n) per root or proof): right for a client checking a log once. The gateway, which answers proofs on
 * every attestation request, keeps an {@link IncrementalMerkleTree} instead; both walk the tree with the same code.
 */
public final class MerkleTree {

    private MerkleTree() {
    }

    /** The hash of the subtree over leaves {@code from} (inclusive) to {@code to} (exclusive), {@code MTH(D[from:to])}. */
    interface Subtrees {
        byte[] hash(int from, int to);
    }

    /** The root of the tree over the first {@code size} of {@code leaves} ({@code MTH(D[0:size])}). */
    public static byte[] root(List<byte[]> leaves, long size) {
        checkSize(leaves.size(), size);
        return root(recomputed(leaves), size);
    }

    static byte[] root(Subtrees tree, long size) {
        return size == 0 ? MerkleHash.emptyRoot() : tree.hash(0, (int) size);
    }

    /**
     * The inclusion proof of leaf {@code index} in the tree of the first {@code size} leaves ({@code PATH(m, D[n])}):
     * the sibling hashes from the leaf up to the root.
     */
    public static List<byte[]> inclusionProof(List<byte[]> leaves, long index, long size) {
        checkSize(leaves.size(), size);
        return inclusionProof(recomputed(leaves), index, size);
    }

    static List<byte[]> inclusionProof(Subtrees tree, long index, long size) {
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf index " + index + " is outside a tree of " + size + " leaves");
        }
        List<byte[]> proof = new ArrayList<>();
        path(tree, (int) index, 0, (int) size, proof);
        return proof;
    }

    /**
     * The consistency proof between the tree of the first {@code first} leaves and the tree of the first {@code second}
     * ({@code PROOF(m, D[n])}): what shows that the larger tree extends the smaller one without rewriting it. Empty when
     * the sizes are equal or the first tree is empty.
     */
    public static List<byte[]> consistencyProof(List<byte[]> leaves, long first, long second) {
        checkSize(leaves.size(), second);
        return consistencyProof(recomputed(leaves), first, second);
    }

    static List<byte[]> consistencyProof(Subtrees tree, long first, long second) {
        if (first < 0 || first > second) {
            throw new IllegalArgumentException("a consistency proof needs 0 <= first <= second; got " + first + " and "
                    + second);
        }
        List<byte[]> proof = new ArrayList<>();
        if (first > 0 && first < second) {
            subproof(tree, (int) first, 0, (int) second, true, proof);
        }
        return proof;
    }

    /** The largest power of two smaller than {@code n} (n > 1): where RFC 9162 splits a tree of n leaves. */
    static int split(int n) {
        return Integer.highestOneBit(n - 1);
    }

    private static Subtrees recomputed(List<byte[]> leaves) {
        return new Subtrees() {
            @Override
            public byte[] hash(int from, int to) {
                int n = to - from;
                if (n == 1) {
                    return leaves.get(from);
                }
                int k = split(n);
                return MerkleHash.node(hash(from, from + k), hash(from + k, to));
            }
        };
    }

    private static void path(Subtrees tree, int m, int from, int to, List<byte[]> proof) {
        int n = to - from;
        if (n == 1) {
            return;
        }
        int k = split(n);
        if (m < k) {
            path(tree, m, from, from + k, proof);
            proof.add(tree.hash(from + k, to));
        } else {
            path(tree, m - k, from + k, to, proof);
            proof.add(tree.hash(from, from + k));
        }
    }

    private static void subproof(Subtrees tree, int m, int from, int to, boolean whole, List<byte[]> proof) {
        int n = to - from;
        if (m == n) {
            if (!whole) {
                proof.add(tree.hash(from, to));
            }
            return;
        }
        int k = split(n);
        if (m <= k) {
            subproof(tree, m, from, from + k, whole, proof);
            proof.add(tree.hash(from + k, to));
        } else {
            subproof(tree, m - k, from + k, to, false, proof);
            proof.add(tree.hash(from, from + k));
        }
    }

    static void checkSize(long leaves, long size) {
        if (size < 0 || size > leaves) {
            throw new IllegalArgumentException("tree size " + size + " is outside the log's " + leaves + " leaves");
        }
    }
}
