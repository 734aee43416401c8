package dev.veil.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.client.transparency.HeadFile;
import dev.veil.client.transparency.LogClient;
import dev.veil.client.transparency.LogHead;
import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.MerkleTree;
import dev.veil.protocol.transparency.SignedTreeHead;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kept tree head and the split-view check, on heads of real trees signed with a real log key, with consistency
 * proofs from the real tree code: a log that only grows is followed; a fork (same size and another root, a larger tree
 * that rewrites history, a smaller tree that is no prefix, a gateway that gives no proof) is refused; the kept head
 * survives a new keeper on the same file, and a tampered file is refused rather than forgotten.
 */
class TreeHeadKeeperTest {

    private final SigningKey logKey = SigningKey.generate();

    @TempDir
    Path dir;

    private static List<byte[]> leaves(String prefix, int n) {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            leaves.add(MerkleHash.leaf((prefix + i).getBytes(StandardCharsets.UTF_8)));
        }
        return leaves;
    }

    private LogHead head(List<byte[]> leaves, int size) {
        return new LogHead(SignedTreeHead.sign(logKey, size, 1_000 + size, MerkleTree.root(leaves, size)),
                logKey.publicKey());
    }

    /** Proofs from {@code leaves}, counting how often they are asked for. */
    private static TreeHeadKeeper.Proofs proofsOf(List<byte[]> leaves, AtomicInteger asked) {
        return (first, second) -> {
            asked.incrementAndGet();
            return MerkleTree.consistencyProof(leaves, first, second);
        };
    }

    @Test
    void aGrowingLogIsFollowedAndAForkIsASplitView() throws Exception {
        List<byte[]> log = leaves("e", 12);
        AtomicInteger asked = new AtomicInteger();
        TreeHeadKeeper keeper = new TreeHeadKeeper(null);
        keeper.accept(head(log, 5), proofsOf(log, asked));
        assertThat(asked).hasValue(0);
        keeper.accept(head(log, 9), proofsOf(log, asked));
        assertThat(asked).hasValue(1);
        assertThat(keeper.kept(logKey.publicKey()).treeSize()).isEqualTo(9);
        // The same tree again (another time, another signature) and an older prefix are fine; the kept head stays.
        keeper.accept(head(log, 9), proofsOf(log, asked));
        keeper.accept(head(log, 7), proofsOf(log, asked));
        assertThat(keeper.kept(logKey.publicKey()).treeSize()).isEqualTo(9);

        // A fork: the same first leaves but one rewritten.
        List<byte[]> fork = new ArrayList<>(log);
        fork.set(3, MerkleHash.leaf("special node".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> keeper.accept(head(fork, 9), proofsOf(fork, asked)))
                .isInstanceOf(TransparencyException.SplitView.class).hasMessageContaining("different roots");
        assertThatThrownBy(() -> keeper.accept(head(fork, 12), proofsOf(fork, asked)))
                .isInstanceOf(TransparencyException.SplitView.class).hasMessageContaining("not consistent");
        assertThatThrownBy(() -> keeper.accept(head(fork, 12), proofsOf(log, asked)))
                .isInstanceOf(TransparencyException.SplitView.class);
        assertThatThrownBy(() -> keeper.accept(head(fork, 6), proofsOf(fork, asked)))
                .isInstanceOf(TransparencyException.SplitView.class);
        assertThatThrownBy(() -> keeper.accept(head(log, 12), (a, b) -> {
            throw new LogClient.BadAnswer(400, "the gateway answered HTTP 400");
        })).isInstanceOf(TransparencyException.SplitView.class).hasMessageContaining("no consistency proof");
        // None of the refused heads replaced the kept one; the honest log still extends it.
        assertThat(keeper.kept(logKey.publicKey()).treeSize()).isEqualTo(9);
        assertThatCode(() -> keeper.accept(head(log, 12), proofsOf(log, asked))).doesNotThrowAnyException();
        assertThat(keeper.kept(logKey.publicKey()).treeSize()).isEqualTo(12);
    }

    @Test
    void aGatewayNamingANewLogKeyInEveryAnswerCannotGrowWhatIsKept() throws Exception {
        TreeHeadKeeper keeper = new TreeHeadKeeper(new HeadFile(dir.resolve("heads.json")));
        List<byte[]> log = leaves("e", 3);
        keeper.accept(head(log, 3), proofsOf(log, new AtomicInteger()));
        for (int i = 0; i < TreeHeadKeeper.MAX_LOGS + 10; i++) {
            SigningKey other = SigningKey.generate();
            keeper.accept(new LogHead(SignedTreeHead.sign(other, 3, 1, MerkleTree.root(log, 3)), other.publicKey()),
                    proofsOf(log, new AtomicInteger()));
        }
        assertThat(new HeadFile(dir.resolve("heads.json")).read()).hasSize(TreeHeadKeeper.MAX_LOGS);
    }

    @Test
    void theKeptHeadSurvivesOnDiskAndATamperedFileIsRefused() throws Exception {
        List<byte[]> log = leaves("e", 8);
        Path file = dir.resolve("state/transparency-heads.json");
        new TreeHeadKeeper(new HeadFile(file)).accept(head(log, 6), proofsOf(log, new AtomicInteger()));
        assertThat(file).exists();

        TreeHeadKeeper restarted = new TreeHeadKeeper(new HeadFile(file));
        assertThat(restarted.kept(logKey.publicKey()).treeSize()).isEqualTo(6);
        List<byte[]> fork = new ArrayList<>(log);
        fork.set(0, MerkleHash.leaf("x".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> restarted.accept(head(fork, 6), proofsOf(fork, new AtomicInteger())))
                .isInstanceOf(TransparencyException.SplitView.class);

        String json = Files.readString(file);
        Files.writeString(file, json.replace("\"tree_size\" : 6", "\"tree_size\" : 5"));
        assertThatThrownBy(() -> new TreeHeadKeeper(new HeadFile(file))).isInstanceOf(IOException.class)
                .hasMessageContaining("does not verify");
        Files.writeString(file, "not json");
        assertThatThrownBy(() -> new TreeHeadKeeper(new HeadFile(file))).isInstanceOf(IOException.class)
                .hasMessageContaining("not valid JSON");
    }
}
