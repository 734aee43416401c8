package dev.veil.store;

/**
 * The result of recomputing the audit log's chain ({@link AuditLogRepository#verify()}).
 *
 * @param intact    whether every kept entry is there, in order, unchanged, and the head names the newest
 * @param entries   how many entries were checked
 * @param firstSeq  the oldest kept entry's seq, as the head records it
 * @param headSeq   the newest entry's seq, as the head records it (0 while the log is empty)
 * @param headHash  the newest entry's hash, as the head records it: record it elsewhere to detect a cut-off tail later
 * @param brokenSeq the seq of the first entry found broken (edited, deleted or out of place); 0 when intact
 * @param problem   what is wrong with it, naming the entry; null when intact
 */
public record AuditVerification(boolean intact, long entries, long firstSeq, long headSeq, String headHash,
                                long brokenSeq, String problem) {
}
