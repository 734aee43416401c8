package dev.veil.client.transparency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veil.protocol.transparency.InvalidProof;
import dev.veil.protocol.transparency.MerkleTree;
import dev.veil.protocol.transparency.ProofVerifier;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * An independent audit of a gateway's transparency log (docs/transparency.md), for {@code veil log verify} and
 * {@code veil log watch}: it keeps its own copy of the log's leaf hashes, fetched entry by entry, and on each
 * {@link #step} checks that
 * <ol>
 *   <li>the current tree head is signed by the pinned log key;</li>
 *   <li>it extends the head of the previous step (a consistency proof from the gateway, verified);</li>
 *   <li>the tree recomputed from every entry has exactly the signed root (so each entry served is the one logged);</li>
 *   <li>the last {@code log_key} entry of the log names the key that signs the heads;</li>
 *   <li>every head seen before (kept in the heads file across runs) is a head of this same tree: a head of that size
 *       recomputed from these entries has the root that was signed then. A head the gateway signed for someone else
 *       and that a user reports can be added to the file the same way.</li>
 * </ol>
 * Any failure is a {@link Failed} naming the check; nothing of a failed step is kept. Memory is bounded by
 * {@code maxEntries} leaf hashes (32 bytes each).
 */
public final class LogMonitor {

    /** Heads kept in the heads file; the oldest are dropped past this (the newest proves the most). */
    static final int MAX_SEEN = 1000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LogClient client;
    private final byte[] logKey;
    private final HeadFile seenFile;
    private final long maxEntries;
    private final List<byte[]> leaves = new ArrayList<>();
    private String lastLogKeyEntry;
    private LogHead last;
    private List<LogHead> seen;

    /** A check of the audit failed: the log (or the gateway serving it) is not what it should be. */
    public static final class Failed extends Exception {
        private final String check;

        Failed(String check, String why) {
            super(why, null, false, false);
            this.check = check;
        }

        /** The check that failed, e.g. {@code tree head signature}. */
        public String check() {
            return check;
        }
    }

    /** Where each check that passed is reported (the CLI prints them). */
    public interface Report {
        /** {@code check} passed; {@code detail} says what was seen. */
        void ok(String check, String detail);
    }

    /**
     * @param client     reads the gateway's log
     * @param logKey     the pinned log key (raw Ed25519), taken from a source the user trusts
     * @param seenFile   the heads seen before, read on the first step and added to on each; null to keep none
     * @param maxEntries the largest log this monitor accepts to mirror
     */
    public LogMonitor(LogClient client, byte[] logKey, HeadFile seenFile, long maxEntries) {
        this.client = Objects.requireNonNull(client, "client");
        if (logKey == null || logKey.length != 32) {
            throw new IllegalArgumentException("the log key is a raw 32-byte Ed25519 public key");
        }
        this.logKey = logKey.clone();
        this.seenFile = seenFile;
        this.maxEntries = maxEntries;
    }

    /** The head of the last step that passed, or null. */
    public LogHead head() {
        return last;
    }

    /**
     * Fetches the current head and the entries appended since the last step, and checks everything (see the class
     * comment).
     *
     * @return the entries appended since the last step (every entry on the first step), in order
     * @throws Failed      a check failed; the monitor keeps the state of the last step that passed
     * @throws IOException the gateway could not be reached or did not answer in time, or the heads file could not be
     *                     read or written
     */
    public List<LogClient.Entry> step(Report report) throws Failed, IOException {
        LogHead head;
        try {
            head = client.head();
        } catch (LogClient.BadAnswer e) {
            throw new Failed("tree head", e.getMessage());
        }
        try {
            head.verify(logKey);
        } catch (InvalidProof e) {
            throw new Failed("tree head signature", e.getMessage());
        }
        report.ok("tree head signature", "tree of " + head.treeSize() + " leaves, signed "
                + java.time.Instant.ofEpochMilli(head.head().timestampMillis()));
        if (head.treeSize() > maxEntries) {
            throw new Failed("log size", "the log has " + head.treeSize() + " entries, more than the " + maxEntries
                    + " this monitor is allowed to hold; raise the limit to audit it");
        }
        if (last != null) {
            if (head.sameTree(last)) {
                return List.of(); // nothing appended: the tree was recomputed when this root was first seen
            }
            consistentWithLast(head, report);
        }
        int known = leaves.size();
        List<LogClient.Entry> fresh = fetch(known, head.treeSize());
        List<byte[]> all = new ArrayList<>(leaves);
        String logKeyEntry = lastLogKeyEntry;
        for (LogClient.Entry e : fresh) {
            all.add(e.leafHash());
            String key = logKeyOf(e);
            logKeyEntry = key == null ? logKeyEntry : key;
        }
        if (!MessageDigest.isEqual(MerkleTree.root(all, head.treeSize()), head.rootHash())) {
            throw new Failed("tree recomputed from the entries", "the root of the " + head.treeSize()
                    + " entries served is not the signed root: an entry was changed, left out or added");
        }
        report.ok("tree recomputed from the entries", head.treeSize() + " entries hash to the signed root"
                + (fresh.isEmpty() ? "" : " (" + fresh.size() + " fetched)"));
        if (head.treeSize() > 0) {
            if (logKeyEntry == null || !logKeyEntry.equals(head.logKeyHex())) {
                throw new Failed("log key entry", "the log's last log_key entry does not name the key that signs its "
                        + "heads: the log does not announce the key it is signed with");
            }
            report.ok("log key entry", "the log announces the key that signs it");
        }
        if (seen == null) {
            // The first step compares the tree with every head kept from earlier runs; later steps extend it
            // consistently, so they are covered by the consistency check against the previous head.
            List<LogHead> kept = seenFile == null ? List.of() : seenFile.read();
            checkSeen(kept, all, head, report);
            seen = new ArrayList<>(kept);
        }
        // All checks passed: keep the step.
        leaves.clear();
        leaves.addAll(all);
        lastLogKeyEntry = logKeyEntry;
        last = head;
        if (seen.stream().noneMatch(head::sameTree)) {
            seen.add(head);
            while (seen.size() > MAX_SEEN) {
                seen.remove(0);
            }
            if (seenFile != null) {
                seenFile.write(seen);
            }
        }
        return fresh;
    }

    private void consistentWithLast(LogHead head, Report report) throws Failed, IOException {
        if (head.treeSize() < last.treeSize()) {
            throw new Failed("consistency with the previous head", "the log shrank from " + last.treeSize() + " to "
                    + head.treeSize() + " leaves");
        }
        if (head.treeSize() == last.treeSize()) {
            if (!head.sameTree(last)) {
                throw new Failed("consistency with the previous head", "two signed heads of " + head.treeSize()
                        + " leaves have different roots");
            }
            return;
        }
        try {
            List<byte[]> proof = client.consistencyProof(last.treeSize(), head.treeSize());
            ProofVerifier.verifyConsistency(last.treeSize(), head.treeSize(), proof, last.rootHash(), head.rootHash());
        } catch (LogClient.BadAnswer | InvalidProof e) {
            throw new Failed("consistency with the previous head", "no valid consistency proof from " + last.treeSize()
                    + " to " + head.treeSize() + " leaves: " + e.getMessage());
        }
        report.ok("consistency with the previous head", last.treeSize() + " -> " + head.treeSize() + " leaves");
    }

    private void checkSeen(List<LogHead> seen, List<byte[]> all, LogHead head, Report report) throws Failed {
        int checked = 0;
        for (LogHead s : seen) {
            if (!java.util.Arrays.equals(s.logKey(), logKey)) {
                continue;
            }
            if (s.treeSize() > head.treeSize()) {
                throw new Failed("heads seen before", "the log now has " + head.treeSize() + " leaves, fewer than the "
                        + s.treeSize() + " of a head it signed at " + java.time.Instant.ofEpochMilli(
                        s.head().timestampMillis()) + " (if the gateway runs several instances, retry in a few seconds)");
            }
            if (!MessageDigest.isEqual(MerkleTree.root(all, s.treeSize()), s.rootHash())) {
                throw new Failed("heads seen before", "SPLIT VIEW: the head of " + s.treeSize() + " leaves signed at "
                        + java.time.Instant.ofEpochMilli(s.head().timestampMillis()) + " has another root than the "
                        + "first " + s.treeSize() + " entries of the log served now");
            }
            checked++;
        }
        report.ok("heads seen before", checked == 0 ? "none kept yet" : "the log is consistent with all " + checked
                + " head(s) seen before");
    }

    private List<LogClient.Entry> fetch(long from, long to) throws Failed, IOException {
        List<LogClient.Entry> out = new ArrayList<>();
        long next = from;
        while (next < to) {
            List<LogClient.Entry> page;
            try {
                page = client.entries(next, Math.min(to, next + LogClient.PAGE));
            } catch (LogClient.BadAnswer e) {
                throw new Failed("entries", e.getMessage());
            }
            out.addAll(page);
            next += page.size();
        }
        return out;
    }

    /** The hex key of a {@code log_key} entry, or null for any other entry. */
    private static String logKeyOf(LogClient.Entry e) {
        try {
            JsonNode json = JSON.readTree(e.text());
            if (json != null && "log_key".equals(json.path("type").asText())) {
                return json.path("public_key").asText("").toLowerCase(java.util.Locale.ROOT);
            }
        } catch (IOException ignored) {
            // not JSON: not a log_key entry (the root check covers the entry itself)
        }
        return null;
    }

    /** Lowercase hex of {@code bytes}. */
    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }
}
