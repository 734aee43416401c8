package dev.veil.protocol.transparency;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The tree built here against published roots, and every proof it generates for trees of up to 20 leaves against the
 * verifier, with every single-bit change of every proof component refused.
 */
class MerkleTreeTest {

    private static final HexFormat HEX = HexFormat.of();

    /** transparency-dev/merkle testonly/constants.go, LeafInputs(). */
    private static final String[] LEAF_INPUTS = {"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
            "606162636465666768696a6b6c6d6e6f"};

    /** The same file's RootHashes(): the roots of the trees over the first 0 to 8 leaf inputs. */
    private static final String[] ROOTS = {
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

    private static List<byte[]> publishedLeaves() {
        List<byte[]> leaves = new ArrayList<>();
        for (String input : LEAF_INPUTS) {
            leaves.add(MerkleHash.leaf(HEX.parseHex(input)));
        }
        return leaves;
    }

    private static List<byte[]> leaves(int n) {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            leaves.add(MerkleHash.leaf(("entry " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return leaves;
    }

    @Test
    void rootsMatchThePublishedRootsForEveryPrefix() {
        List<byte[]> leaves = publishedLeaves();
        assertEquals("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", HEX.formatHex(leaves.get(0)));
        for (int size = 0; size <= 8; size++) {
            assertEquals(ROOTS[size], HEX.formatHex(MerkleTree.root(leaves, size)), "root of " + size + " leaves");
        }
    }

    @Test
    void theIncrementalTreeGivesThePublishedRoots() {
        IncrementalMerkleTree tree = new IncrementalMerkleTree();
        assertEquals(ROOTS[0], HEX.formatHex(tree.root(0)));
        for (byte[] leaf : publishedLeaves()) {
            tree.append(leaf);
            for (int size = 0; size <= tree.size(); size++) {
                assertEquals(ROOTS[size], HEX.formatHex(tree.root(size)), "root of " + size + " of " + tree.size());
            }
        }
    }

    /** The gateway's cached tree answers exactly what recomputing from the leaves answers, at every size on the way. */
    @Test
    void theIncrementalTreeAgreesWithRecomputingForEveryRootAndProof() {
        List<byte[]> leaves = leaves(70);
        IncrementalMerkleTree tree = new IncrementalMerkleTree();
        for (int n = 1; n <= leaves.size(); n++) {
            tree.append(leaves.get(n - 1));
            for (int size = 0; size <= n; size++) {
                assertArrayEquals(MerkleTree.root(leaves, size), tree.root(size), "root " + size + " at " + n);
                for (int i = 0; i < size; i++) {
                    assertProofsEqual(MerkleTree.inclusionProof(leaves, i, size), tree.inclusionProof(i, size));
                }
                for (int m = 0; m <= size; m++) {
                    assertProofsEqual(MerkleTree.consistencyProof(leaves, m, size), tree.consistencyProof(m, size));
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> tree.root(71));
        assertThrows(IllegalArgumentException.class, () -> tree.inclusionProof(70, 70));
        assertThrows(IllegalArgumentException.class, () -> tree.consistencyProof(5, 71));
    }

    private static void assertProofsEqual(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i));
        }
    }

    @Test
    void everyGeneratedInclusionProofVerifiesAndEveryFlippedBitIsRefused() {
        List<byte[]> leaves = leaves(20);
        for (int size = 1; size <= 20; size++) {
            byte[] root = MerkleTree.root(leaves, size);
            for (int index = 0; index < size; index++) {
                List<byte[]> proof = MerkleTree.inclusionProof(leaves, index, size);
                int i = index;
                int n = size;
                assertDoesNotThrow(() -> ProofVerifier.verifyInclusion(i, n, leaves.get(i), proof, root));
                for (int c = 0; c < proof.size(); c++) {
                    for (int bit : new int[] {0, 7, 130, 255}) {
                        List<byte[]> bad = flipped(proof, c, bit);
                        assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(i, n, leaves.get(i), bad, root));
                    }
                }
                if (size > 1) {
                    int other = (index + 1) % size;
                    assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(other, n, leaves.get(i), proof, root));
                    assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(i, n, leaves.get(other), proof, root));
                }
                // A proof is bound to its tree size through the root (the signed tree head states both): the same
                // components against the next tree's root must fail.
                if (size < 20) {
                    byte[] nextRoot = MerkleTree.root(leaves, size + 1);
                    assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(i, n + 1, leaves.get(i), proof, nextRoot));
                }
            }
        }
    }

    @Test
    void everyGeneratedConsistencyProofVerifiesAndEveryFlippedBitIsRefused() {
        List<byte[]> leaves = leaves(20);
        for (int second = 0; second <= 20; second++) {
            byte[] root2 = MerkleTree.root(leaves, second);
            for (int first = 0; first <= second; first++) {
                byte[] root1 = MerkleTree.root(leaves, first);
                List<byte[]> proof = MerkleTree.consistencyProof(leaves, first, second);
                int m = first;
                int n = second;
                assertDoesNotThrow(() -> ProofVerifier.verifyConsistency(m, n, proof, root1, root2), m + " -> " + n);
                for (int c = 0; c < proof.size(); c++) {
                    List<byte[]> bad = flipped(proof, c, 77);
                    assertThrows(InvalidProof.class, () -> ProofVerifier.verifyConsistency(m, n, bad, root1, root2));
                }
                if (first > 0 && first < second) {
                    byte[] otherRoot = MerkleTree.root(leaves, first - 1);
                    assertThrows(InvalidProof.class, () -> ProofVerifier.verifyConsistency(m, n, proof, otherRoot, root2));
                    assertThrows(InvalidProof.class, () -> ProofVerifier.verifyConsistency(m, n, proof, root1, otherRoot));
                }
            }
        }
    }

    @Test
    void aRewrittenLeafBreaksConsistencyWithTheOldHead() {
        List<byte[]> history = leaves(10);
        byte[] oldRoot = MerkleTree.root(history, 6);
        List<byte[]> rewritten = new ArrayList<>(history);
        rewritten.set(3, MerkleHash.leaf("a different node identity".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        List<byte[]> proof = MerkleTree.consistencyProof(rewritten, 6, 10);
        InvalidProof refused = assertThrows(InvalidProof.class,
                () -> ProofVerifier.verifyConsistency(6, 10, proof, oldRoot, MerkleTree.root(rewritten, 10)));
        assertEquals("the consistency proof does not lead to the first root (6 leaves)", refused.getMessage());
    }

    @Test
    void malformedInputIsRefusedWithTheCheckNamed() {
        List<byte[]> leaves = leaves(4);
        byte[] root = MerkleTree.root(leaves, 4);
        List<byte[]> proof = MerkleTree.inclusionProof(leaves, 1, 4);
        assertEquals("the root is not a 32-byte SHA-256 hash", assertThrows(InvalidProof.class,
                () -> ProofVerifier.verifyInclusion(1, 4, leaves.get(1), proof, new byte[31])).getMessage());
        List<byte[]> tooLong = new ArrayList<>();
        for (int i = 0; i <= ProofVerifier.MAX_PROOF_LENGTH; i++) {
            tooLong.add(new byte[32]);
        }
        assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(1, 4, leaves.get(1), tooLong, root));
        assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(-1, 4, leaves.get(1), proof, root));
        assertThrows(InvalidProof.class, () -> ProofVerifier.verifyInclusion(1, 4, leaves.get(1), null, root));
        assertThrows(InvalidProof.class, () -> ProofVerifier.verifyConsistency(4, 2, List.of(), root, root));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.inclusionProof(leaves, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.root(leaves, 5));
    }

    @Test
    void aSignedTreeHeadVerifiesWithItsLogKeyOnly() {
        dev.veil.protocol.e2ee.SigningKey log = dev.veil.protocol.e2ee.SigningKey.generate();
        byte[] root = MerkleTree.root(publishedLeaves(), 8);
        SignedTreeHead head = SignedTreeHead.sign(log, 8, 1_780_000_000_000L, root);
        assertDoesNotThrow(() -> head.verify(log.publicKey()));
        assertThrows(InvalidProof.class, () -> head.verify(dev.veil.protocol.e2ee.SigningKey.generate().publicKey()));
        SignedTreeHead otherSize = new SignedTreeHead(7, head.timestampMillis(), root, head.signature());
        assertThrows(InvalidProof.class, () -> otherSize.verify(log.publicKey()));
        byte[] otherRoot = root.clone();
        otherRoot[0] ^= 1;
        SignedTreeHead rewritten = new SignedTreeHead(8, head.timestampMillis(), otherRoot, head.signature());
        assertThrows(InvalidProof.class, () -> rewritten.verify(log.publicKey()));
        assertEquals(8 + 8 + 1 + 32 + 2, head.signedBytes().length);
        assertArrayEquals(root, head.rootHash());
    }

    private static List<byte[]> flipped(List<byte[]> proof, int component, int bit) {
        List<byte[]> copy = new ArrayList<>(proof);
        byte[] changed = copy.get(component).clone();
        changed[bit / 8] ^= (byte) (1 << (bit % 8));
        copy.set(component, changed);
        return copy;
    }
}
