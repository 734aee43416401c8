package dev.veil.protocol.transparency;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An append-only RFC 9162 tree that keeps the hash of every complete subtree (2^h leaves starting at a multiple of
 * 2^h). Every left subtree RFC 9162's split makes is such a subtree, so a root, an inclusion proof or a consistency
 * proof computes only the hashes along the tree's right edge: O(log² n) per answer instead of O(n), and an append
 * adds at most log n node hashes. Memory: about one hash per leaf besides the leaves. Not thread-safe; the owner
 * serialises access.
 */
public final class IncrementalMerkleTree {

    /** {@code levels.get(h).get(i)}: the hash of leaves {@code i·2^h} to {@code (i+1)·2^h}; level 0 holds the leaves. */
    private final List<List<byte[]>> levels = new ArrayList<>();
    private final MerkleTree.Subtrees subtrees = this::subtree;

    public IncrementalMerkleTree() {
        levels.add(new ArrayList<>());
    }

    /** Appends a leaf hash ({@link MerkleHash#leaf}) and the complete subtrees it closes. */
    public void append(byte[] leafHash) {
        List<byte[]> leaves = levels.get(0);
        leaves.add(leafHash);
        int index = leaves.size() - 1;
        int height = 0;
        while ((index & 1) == 1) {
            List<byte[]> level = levels.get(height);
            byte[] parent = MerkleHash.node(level.get(index - 1), level.get(index));
            if (levels.size() == height + 1) {
                levels.add(new ArrayList<>());
            }
            levels.get(height + 1).add(parent);
            index >>= 1;
            height++;
        }
    }

    /** The number of leaves. */
    public int size() {
        return levels.get(0).size();
    }

    /** The leaf hashes, in order (a read-only view). */
    public List<byte[]> leaves() {
        return Collections.unmodifiableList(levels.get(0));
    }

    /** {@code MTH(D[0:size])}, as {@link MerkleTree#root}. */
    public byte[] root(long size) {
        MerkleTree.checkSize(size(), size);
        return MerkleTree.root(subtrees, size);
    }

    /** {@code PATH(index, D[0:size])}, as {@link MerkleTree#inclusionProof}. */
    public List<byte[]> inclusionProof(long index, long size) {
        MerkleTree.checkSize(size(), size);
        return MerkleTree.inclusionProof(subtrees, index, size);
    }

    /** {@code PROOF(first, D[0:second])}, as {@link MerkleTree#consistencyProof}. */
    public List<byte[]> consistencyProof(long first, long second) {
        MerkleTree.checkSize(size(), second);
        return MerkleTree.consistencyProof(subtrees, first, second);
    }

    private byte[] subtree(int from, int to) {
        int n = to - from;
        if (Integer.bitCount(n) == 1 && from % n == 0) {
            int height = Integer.numberOfTrailingZeros(n);
            return levels.get(height).get(from >> height); // complete, since to <= size()
        }
        int k = MerkleTree.split(n);
        return MerkleHash.node(subtree(from, from + k), subtree(from + k, to));
    }
}
