package dev.veil.store;

import java.time.Instant;
import java.util.SortedMap;

/**
 * One stored audit log entry.
 *
 * @param seq      its position in the chain: 1, 2, 3 ... without gaps
 * @param time     when it was appended (millisecond precision)
 * @param actor    who did it ({@link AuditActor#wireName()}; kept as stored so a verifier sees what is there)
 * @param action   what was done ({@link AuditAction#wireName()})
 * @param subject  what it was done to; empty when nothing in particular
 * @param details  named string values, sorted by key
 * @param prevHash lowercase hex SHA-256 of the entry before (the anchor for the oldest kept entry)
 * @param hash     lowercase hex SHA-256 over {@code prevHash} and this entry, see {@link AuditChain#hash}
 */
public record AuditEntry(long seq, Instant time, String actor, String action, String subject,
                         SortedMap<String, String> details, String prevHash, String hash) {

    /** Whether {@link #hash} is what this entry's fields hash to. */
    public boolean hashMatches() {
        return AuditChain.hash(prevHash, seq, time.toEpochMilli(), actor, action, subject, details).equals(hash);
    }
}
