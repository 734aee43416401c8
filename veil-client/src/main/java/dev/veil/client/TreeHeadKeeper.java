package dev.veil.client;

import dev.veil.client.transparency.HeadFile;
import dev.veil.client.transparency.LogClient;
import dev.veil.client.transparency.LogHead;
import dev.veil.protocol.transparency.InvalidProof;
import dev.veil.protocol.transparency.ProofVerifier;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The last tree head this client accepted from each log (by log key), in memory and, when given a file, on disk; and
 * the check that a head the gateway signs now is consistent with it (docs/transparency.md):
 * <ul>
 *   <li>a larger head must come with a consistency proof from the kept one (asked of the gateway) that verifies;
 *       it is then kept instead;</li>
 *   <li>a head of the same size must have the same root;</li>
 *   <li>a smaller head (a gateway instance a few seconds behind) must be proved a prefix of the kept one; the kept one
 *       stays.</li>
 * </ul>
 * Anything else is a {@link TransparencyException.SplitView}. Checks run one at a time (the gateway is asked for a
 * proof under the lock), so two answers can never both replace the kept head.
 */
final class TreeHeadKeeper {

    /** Where consistency proofs come from: the gateway's {@code /v1/transparency/proof/consistency}. */
    interface Proofs {
        List<byte[]> consistency(long first, long second) throws IOException, LogClient.BadAnswer;
    }

    /**
     * Logs kept at most. A client that pins a log key keeps one; without a pin a gateway could name a new key in every
     * answer, so the oldest log's head is dropped past this bound rather than growing memory and the file.
     */
    static final int MAX_LOGS = 64;

    private final HeadFile file;
    private final Map<String, LogHead> kept = new LinkedHashMap<>();
    private final ReentrantLock lock = new ReentrantLock();

    /**
     * A keeper in memory only ({@code file} null) or backed by {@code file}, whose heads are read now.
     *
     * @throws IOException the file exists and cannot be read or does not verify (see {@link HeadFile#read()})
     */
    TreeHeadKeeper(HeadFile file) throws IOException {
        this.file = file;
        if (file != null) {
            for (LogHead head : file.read()) {
                kept.put(head.logKeyHex(), head);
            }
        }
    }

    /** The head kept for the log with this key, or null. */
    LogHead kept(byte[] logKey) {
        lock.lock();
        try {
            return kept.get(java.util.HexFormat.of().formatHex(logKey));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Accepts {@code head} (whose signature the caller verified) if it is consistent with the head kept for its log,
     * and keeps it when it is the larger.
     *
     * @throws TransparencyException.SplitView the heads are not consistent, or the gateway gave no proof that they are
     * @throws IOException                      the proof could not be fetched (transport), or the kept head could not
     *                                          be written to the file
     */
    void accept(LogHead head, Proofs proofs) throws TransparencyException.SplitView, IOException {
        lock.lock();
        try {
            LogHead old = kept.get(head.logKeyHex());
            if (old == null) {
                keep(head);
                return;
            }
            long was = old.treeSize();
            long now = head.treeSize();
            if (now == was) {
                if (!old.sameTree(head)) {
                    throw new TransparencyException.SplitView("the gateway signed two tree heads of " + now
                            + " leaves with different roots (one accepted before, one now)");
                }
                return;
            }
            boolean grown = now > was;
            LogHead small = grown ? old : head;
            LogHead large = grown ? head : old;
            List<byte[]> proof;
            try {
                proof = proofs.consistency(small.treeSize(), large.treeSize());
            } catch (LogClient.BadAnswer e) {
                throw new TransparencyException.SplitView("the gateway gave no consistency proof between the tree of "
                        + small.treeSize() + " leaves and the tree of " + large.treeSize() + " (" + e.getMessage() + ")");
            }
            try {
                ProofVerifier.verifyConsistency(small.treeSize(), large.treeSize(), proof, small.rootHash(),
                        large.rootHash());
            } catch (InvalidProof e) {
                throw new TransparencyException.SplitView("the tree of " + now + " leaves is not consistent with the "
                        + "tree of " + was + " leaves accepted before: " + e.getMessage());
            }
            if (grown) {
                keep(head);
            }
        } finally {
            lock.unlock();
        }
    }

    private void keep(LogHead head) throws IOException {
        // Re-inserted, so the log updated last is the last to be dropped.
        LogHead previous = kept.remove(head.logKeyHex());
        kept.put(head.logKeyHex(), head);
        while (kept.size() > MAX_LOGS) {
            kept.remove(kept.keySet().iterator().next());
        }
        if (file == null) {
            return;
        }
        try {
            file.write(new ArrayList<>(kept.values()));
        } catch (IOException e) {
            // Not kept on disk means not kept: the next start would not know it. Fail closed.
            if (previous == null) {
                kept.remove(head.logKeyHex());
            } else {
                kept.put(head.logKeyHex(), previous);
            }
            throw new IOException("the tree head could not be kept in " + file.path() + " ("
                    + e.getClass().getSimpleName() + "); nothing was sent", e);
        }
    }
}
