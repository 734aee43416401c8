package dev.veil.gateway.transparency;

import dev.veil.protocol.e2ee.SigningKey;
import dev.veil.protocol.transparency.MerkleHash;
import dev.veil.protocol.transparency.IncrementalMerkleTree;
import dev.veil.protocol.transparency.SignedTreeHead;
import dev.veil.store.StoreException;
import dev.veil.store.TransparencyEntry;
import dev.veil.store.TransparencyLogRepository;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The gateway's append-only log of the node identities it admitted (and of its own log key), as an RFC 9162 Merkle
 * tree with signed tree heads. Entries are stored before they count: a restart reloads the same leaves in the same
 * order, so every tree head ever signed stays consistent with every later one. An identity already in the log is not
 * appended again. Reads (heads, proofs, entries) are in memory and safe on an event loop; {@link #append} writes to the
 * store and belongs on a worker.
 */
public final class TransparencyLog {

    private static final HexFormat HEX = HexFormat.of();
    /** Appends that lose the race for an index to another gateway retry after taking in its entry. */
    private static final int MAX_APPEND_ATTEMPTS = 5;

    private final TransparencyLogRepository repository;
    private final SigningKey logKey;
    private final Clock clock;
    private final Object appendLock = new Object();
    // Guarded by this: published leaves only.
    private final IncrementalMerkleTree leaves = new IncrementalMerkleTree();
    private final List<TransparencyEntry> entries = new ArrayList<>();
    private final Map<String, Long> indexByLeafHash = new HashMap<>();
    private SignedTreeHead head;

    private TransparencyLog(TransparencyLogRepository repository, SigningKey logKey, Clock clock) {
        this.repository = repository;
        this.logKey = logKey;
        this.clock = clock;
    }

    /**
     * Loads the log from the store (blocking) and, for a new log, appends its first entry: the log key itself, so that
     * a key change shows in the log's own history.
     */
    public static TransparencyLog open(TransparencyLogRepository repository, SigningKey logKey, Clock clock) {
        TransparencyLog log = new TransparencyLog(repository, logKey, clock);
        log.append(LogEntries.logKey(logKey.publicKey()));
        return log;
    }

    /**
     * Appends {@code entry} unless the same entry is in the log already; blocking (store write).
     *
     * @return the entry's leaf index, new or existing
     */
    public long append(String entry) {
        byte[] leafHash = MerkleHash.leaf(entry.getBytes(StandardCharsets.UTF_8));
        String hex = HEX.formatHex(leafHash);
        synchronized (appendLock) {
            StoreException lastClash = null;
            for (int attempt = 0; attempt < MAX_APPEND_ATTEMPTS; attempt++) {
                // Gateways sharing one store share one log: take in what the others appended first, so this entry
                // goes after them (or is found among them).
                sync();
                OptionalLong existing = indexOf(hex);
                if (existing.isPresent()) {
                    return existing.getAsLong();
                }
                TransparencyEntry stored = new TransparencyEntry(size(), hex, entry, clock.millis());
                try {
                    repository.append(stored);
                } catch (StoreException clash) {
                    // Another gateway took this index (or logged the same entry) between the read and the insert.
                    lastClash = clash;
                    continue;
                }
                publish(stored);
                return stored.index();
            }
            throw lastClash;
        }
    }

    /**
     * Takes in the entries other gateways on the same store appended since this one last looked; blocking (a store
     * read). Called before every append and on a schedule, so that every instance serves the same tree.
     */
    public void sync() {
        synchronized (appendLock) {
            for (TransparencyEntry stored : repository.from(size())) {
                if (stored.index() != size()) {
                    throw new IllegalStateException("the transparency log has a gap at leaf " + size()
                            + ": it was edited outside Veil; restore it from a backup");
                }
                publish(stored);
            }
        }
    }

    /** The log's raw Ed25519 public key, with which tree heads verify. */
    public byte[] publicKey() {
        return logKey.publicKey();
    }

    /** The number of leaves. */
    public synchronized long size() {
        return leaves.size();
    }

    /** The signed head of the current tree; signed again only when the tree grew. */
    public synchronized SignedTreeHead head() {
        if (head == null || head.treeSize() != leaves.size()) {
            head = SignedTreeHead.sign(logKey, leaves.size(), clock.millis(), leaves.root(leaves.size()));
        }
        return head;
    }

    /** The leaf index of the entry with leaf hash {@code leafHashHex}, if logged. */
    public synchronized OptionalLong indexOf(String leafHashHex) {
        Long index = indexByLeafHash.get(leafHashHex);
        return index == null ? OptionalLong.empty() : OptionalLong.of(index);
    }

    /** The inclusion proof of leaf {@code index} in the tree of {@code treeSize} leaves. */
    public synchronized List<byte[]> inclusionProof(long index, long treeSize) {
        return leaves.inclusionProof(index, treeSize);
    }

    /** The consistency proof between the trees of {@code first} and {@code second} leaves. */
    public synchronized List<byte[]> consistencyProof(long first, long second) {
        return leaves.consistencyProof(first, second);
    }

    /** The entries from {@code start} (inclusive) to {@code end} (exclusive), within the log. */
    public synchronized List<TransparencyEntry> entries(long start, long end) {
        int from = (int) Math.max(0, Math.min(start, entries.size()));
        int to = (int) Math.max(from, Math.min(end, entries.size()));
        return List.copyOf(entries.subList(from, to));
    }

    private synchronized void publish(TransparencyEntry stored) {
        leaves.append(HEX.parseHex(stored.leafHash()));
        entries.add(stored);
        indexByLeafHash.put(stored.leafHash(), stored.index());
    }
}
