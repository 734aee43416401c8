package dev.veil.protocol.transparency;

import java.security.MessageDigest;
import java.util.List;

/**
 * Verifies RFC 9162 inclusion proofs (section 2.1.3.2) and consistency proofs (section 2.1.4.2) against tree roots.
 * Every malformed case fails closed with {@link InvalidProof}: a hash of the wrong length, a proof with a component too
 * many or too few, sizes out of order, or a root that does not match.
 */
public final class ProofVerifier {

    /** No proof needs more components than a tree of 2^63 leaves has levels; longer ones are refused unread. */
    static final int MAX_PROOF_LENGTH = 64;

    private ProofVerifier() {
    }

    /**
     * Checks that the leaf whose hash is {@code leafHash} sits at {@code index} in the tree of {@code size} leaves whose
     * root is {@code root}.
     */
    public static void verifyInclusion(long index, long size, byte[] leafHash, List<byte[]> proof, byte[] root)
            throws InvalidProof {
        checkHash("leaf hash", leafHash);
        checkHash("root", root);
        checkProof(proof);
        if (index < 0 || size < 0 || index >= size) {
            throw new InvalidProof("leaf index " + index + " is outside a tree of " + size + " leaves");
        }
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : proof) {
            if (sn == 0) {
                throw new InvalidProof("the inclusion proof has more components than the tree has levels");
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = MerkleHash.node(p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = MerkleHash.node(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) {
            throw new InvalidProof("the inclusion proof has fewer components than the tree has levels");
        }
        if (!MessageDigest.isEqual(r, root)) {
            throw new InvalidProof("the inclusion proof does not lead to the root of the tree of " + size + " leaves");
        }
    }

    /**
     * Checks that the tree of {@code size2} leaves with root {@code root2} extends the tree of {@code size1} leaves with
     * root {@code root1}: the first tree's leaves are the second's first leaves, unchanged.
     */
    public static void verifyConsistency(long size1, long size2, List<byte[]> proof, byte[] root1, byte[] root2)
            throws InvalidProof {
        checkHash("first root", root1);
        checkHash("second root", root2);
        checkProof(proof);
        if (size1 < 0 || size2 < 0) {
            throw new InvalidProof("tree sizes cannot be negative");
        }
        if (size1 > size2) {
            throw new InvalidProof("the first tree (" + size1 + " leaves) is larger than the second (" + size2 + ")");
        }
        if (size1 == size2) {
            if (!proof.isEmpty()) {
                throw new InvalidProof("trees of equal size need an empty consistency proof");
            }
            if (!MessageDigest.isEqual(root1, root2)) {
                throw new InvalidProof("two trees of " + size1 + " leaves have different roots");
            }
            return;
        }
        if (size1 == 0) {
            // The empty tree is a prefix of every tree; RFC 9162 defines no proof for it.
            if (!proof.isEmpty()) {
                throw new InvalidProof("a consistency proof from the empty tree must be empty");
            }
            return;
        }
        if (proof.isEmpty()) {
            throw new InvalidProof("the consistency proof is empty");
        }
        boolean powerOfTwo = Long.bitCount(size1) == 1;
        int start = powerOfTwo ? -1 : 0;
        long fn = size1 - 1;
        long sn = size2 - 1;
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] first = powerOfTwo ? root1 : proof.get(0);
        byte[] fr = first;
        byte[] sr = first;
        for (int i = start + 1; i < proof.size(); i++) {
            byte[] c = proof.get(i);
            if (sn == 0) {
                throw new InvalidProof("the consistency proof has more components than the trees need");
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = MerkleHash.node(c, fr);
                sr = MerkleHash.node(c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = MerkleHash.node(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) {
            throw new InvalidProof("the consistency proof has fewer components than the trees need");
        }
        if (!MessageDigest.isEqual(fr, root1)) {
            throw new InvalidProof("the consistency proof does not lead to the first root (" + size1 + " leaves)");
        }
        if (!MessageDigest.isEqual(sr, root2)) {
            throw new InvalidProof("the consistency proof does not lead to the second root (" + size2 + " leaves)");
        }
    }

    private static void checkHash(String what, byte[] hash) throws InvalidProof {
        if (hash == null || hash.length != MerkleHash.SIZE) {
            throw new InvalidProof("the " + what + " is not a " + MerkleHash.SIZE + "-byte SHA-256 hash");
        }
    }

    private static void checkProof(List<byte[]> proof) throws InvalidProof {
        if (proof == null) {
            throw new InvalidProof("the proof is missing");
        }
        if (proof.size() > MAX_PROOF_LENGTH) {
            throw new InvalidProof("the proof has " + proof.size() + " components; no tree needs more than "
                    + MAX_PROOF_LENGTH);
        }
        for (byte[] component : proof) {
            checkHash("proof component", component);
        }
    }
}
