package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * The {@code audit_log} table: a hash chain of admin actions (see {@link AuditChain}). Entries are appended, read, and
 * purged only from the oldest end by retention, which moves the chain's anchor so the rest still verifies.
 *
 * <p>Appends from any number of threads, processes and gateway instances form one chain: each append runs in a write
 * transaction that locks the one-row {@code audit_head} ({@code SELECT ... FOR UPDATE} on PostgreSQL, {@code BEGIN
 * IMMEDIATE} on SQLite), reads the newest seq and hash, inserts the next entry and moves the head. Blocking JDBC; run
 * it on a worker pool.
 */
public final class AuditLogRepository {

    /** Most entries one page may hold. */
    public static final int MAX_PAGE = 1_000;

    private static final String COLUMNS = "seq, created_at, actor, action, subject, details, prev_hash, hash";

    private final DataSource dataSource;
    private final boolean sqlite;

    AuditLogRepository(DataSource dataSource, String vendor) {
        this.dataSource = dataSource;
        this.sqlite = StoreSettings.SQLITE.equals(vendor);
    }

    /** The chain's head: where it starts after purges and its newest entry. */
    public record Head(long firstSeq, String anchorHash, long lastSeq, String lastHash) {
    }

    /** Appends {@code event} as the next entry, in its own transaction, and returns it. */
    public AuditEntry append(AuditEvent event, Instant at) {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(at, "at");
        return Jdbc.inWriteTransaction(dataSource, sqlite, "append to the audit log",
                connection -> append(connection, event, at));
    }

    /**
     * Appends {@code event} on {@code connection}, inside a transaction the caller began with
     * {@link Jdbc#inWriteTransaction}, so a change and its audit entry commit together or not at all.
     */
    AuditEntry append(Connection connection, AuditEvent event, Instant at) throws SQLException {
        Head head = lockHead(connection);
        long seq = head.lastSeq() + 1;
        long millis = at.toEpochMilli();
        String actor = event.actor().wireName();
        String action = event.action().wireName();
        String hash = AuditChain.hash(head.lastHash(), seq, millis, actor, action, event.subject(), event.details());
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO audit_log (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setLong(1, seq);
            insert.setLong(2, millis);
            insert.setString(3, actor);
            insert.setString(4, action);
            insert.setString(5, event.subject());
            insert.setString(6, AuditChain.detailsJson(event.details()));
            insert.setString(7, head.lastHash());
            insert.setString(8, hash);
            insert.executeUpdate();
        }
        try (PreparedStatement move = connection.prepareStatement(
                "UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1")) {
            move.setLong(1, seq);
            move.setString(2, hash);
            move.executeUpdate();
        }
        return new AuditEntry(seq, Instant.ofEpochMilli(millis), actor, action, event.subject(), event.details(),
                head.lastHash(), hash);
    }

    /** Whether write transactions on this store must begin immediately (SQLite). */
    boolean sqlite() {
        return sqlite;
    }

    /** The head, unlocked. */
    public Head head() {
        return Jdbc.withConnection(dataSource, "read the audit log head", AuditLogRepository::readHead);
    }

    /**
     * Up to {@code limit} entries with a seq above {@code afterSeq}, oldest first.
     *
     * @throws IllegalArgumentException when {@code limit} is not within 1 to {@value #MAX_PAGE} or
     *                                  {@code afterSeq} is negative
     */
    public List<AuditEntry> page(long afterSeq, int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit must be within 1 to " + MAX_PAGE);
        }
        if (afterSeq < 0) {
            throw new IllegalArgumentException("afterSeq must not be negative");
        }
        return Jdbc.withConnection(dataSource, "read the audit log", connection -> {
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?")) {
                select.setLong(1, afterSeq);
                select.setInt(2, limit);
                List<AuditEntry> entries = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        entries.add(read(rows));
                    }
                }
                return entries;
            }
        });
    }

    /**
     * Recomputes the whole chain and names the first broken entry: one whose contents do not match its hash
     * (edited), whose {@code prev_hash} is not the hash of the entry before it (reordered, or one before it
     * replaced), a missing seq (deleted), or a newest entry the head does not name (deleted from the end). Reads the
     * entries as a stream in seq order, so memory does not grow with the log.
     */
    public AuditVerification verify() {
        return Jdbc.withConnection(dataSource, "verify the audit log", connection -> {
            Head head = readHead(connection);
            boolean autoCommit = connection.getAutoCommit();
            if (!sqlite) {
                connection.setAutoCommit(false); // PostgreSQL streams a result set only inside a transaction
            }
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT " + COLUMNS + " FROM audit_log ORDER BY seq")) {
                select.setFetchSize(500);
                long expected = head.firstSeq();
                String prev = head.anchorHash();
                long checked = 0;
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        AuditEntry entry;
                        long seq = rows.getLong("seq");
                        try {
                            entry = read(rows);
                        } catch (IllegalArgumentException unreadable) {
                            return broken(head, checked, seq, "entry " + seq + " cannot be read ("
                                    + unreadable.getMessage() + "): it was edited");
                        }
                        checked++;
                        if (seq < expected) {
                            return broken(head, checked, seq, "entry " + seq + " is out of place: the log should "
                                    + "continue with entry " + expected + " (the head's first kept entry is "
                                    + head.firstSeq() + "); entries were reordered or renumbered");
                        }
                        if (seq > expected) {
                            return broken(head, checked, expected, "entry " + expected + " is missing: the log jumps from "
                                    + (expected - 1) + " to " + seq + "; it was deleted");
                        }
                        if (!entry.prevHash().equals(prev)) {
                            return broken(head, checked, seq, "entry " + seq + " does not follow "
                                    + (seq == head.firstSeq() ? "the chain's anchor" : "entry " + (seq - 1))
                                    + ": its prev_hash is not that entry's hash; entries were reordered, or one before "
                                    + "it was replaced");
                        }
                        if (!entry.hashMatches()) {
                            return broken(head, checked, seq, "entry " + seq + " does not match its hash: its contents "
                                    + "were edited (or it was moved from another position)");
                        }
                        prev = entry.hash();
                        expected++;
                    }
                }
                if (expected - 1 != head.lastSeq()) {
                    long missing = expected - 1 < head.lastSeq() ? expected : head.lastSeq() + 1;
                    return broken(head, checked, missing, expected - 1 < head.lastSeq()
                            ? "entry " + expected + " is missing: the head names entry " + head.lastSeq()
                            + " as the newest but the log ends at " + (expected - 1) + "; entries were deleted from the end"
                            : "the log holds entries after the head's newest entry " + head.lastSeq()
                            + "; the head or the entries were changed");
                }
                if (!prev.equals(head.lastHash())) {
                    return broken(head, checked, head.lastSeq(), "entry " + head.lastSeq() + " is not the newest "
                            + "entry the head recorded: its hash differs from the head's; it was replaced");
                }
                return new AuditVerification(true, checked, head.firstSeq(), head.lastSeq(), head.lastHash(), 0, null);
            } finally {
                if (!sqlite) {
                    connection.rollback();
                    connection.setAutoCommit(autoCommit);
                }
            }
        });
    }

    /**
     * The seq of the kept entry whose hash is {@code hash}; 0 when it is the chain's anchor (the last purged entry's
     * hash, or the genesis value); empty when the chain holds no such hash. For checking a head recorded earlier: a
     * recorded head that is gone means entries were cut off (or the chain rewritten).
     */
    public java.util.Optional<Long> seqOfHash(String hash) {
        Objects.requireNonNull(hash, "hash");
        return Jdbc.withConnection(dataSource, "find an audit log hash", connection -> {
            if (readHead(connection).anchorHash().equals(hash)) {
                return java.util.Optional.of(0L);
            }
            try (PreparedStatement select = connection.prepareStatement("SELECT seq FROM audit_log WHERE hash = ?")) {
                select.setString(1, hash);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? java.util.Optional.of(rows.getLong(1)) : java.util.Optional.<Long>empty();
                }
            }
        });
    }

    /**
     * Retention: deletes the entries up to the newest one appended before {@code cutoff}, moves the chain's anchor to
     * the last deleted entry's hash (so what is kept still verifies) and appends an {@link AuditAction#AUDIT_PURGED}
     * entry saying so, all in one write transaction. Safe from several instances at once (the second finds nothing).
     *
     * @return how many entries were deleted
     */
    public int purgeOlderThan(Instant cutoff, Instant now, AuditActor actor) {
        Objects.requireNonNull(cutoff, "cutoff");
        return Jdbc.inWriteTransaction(dataSource, sqlite, "purge the audit log", connection -> {
            Head head = lockHead(connection);
            long through;
            String anchor;
            try (PreparedStatement newest = connection.prepareStatement(
                    "SELECT seq, hash FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log WHERE created_at < ?)")) {
                newest.setLong(1, cutoff.toEpochMilli());
                try (ResultSet rows = newest.executeQuery()) {
                    if (!rows.next()) {
                        return 0;
                    }
                    through = rows.getLong(1);
                    anchor = rows.getString(2);
                }
            }
            int deleted;
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM audit_log WHERE seq <= ?")) {
                delete.setLong(1, through);
                deleted = delete.executeUpdate();
            }
            try (PreparedStatement move = connection.prepareStatement(
                    "UPDATE audit_head SET first_seq = ?, anchor_hash = ? WHERE id = 1")) {
                move.setLong(1, through + 1);
                move.setString(2, anchor);
                move.executeUpdate();
            }
            append(connection, AuditEvent.of(actor, AuditAction.AUDIT_PURGED, "", "deleted", Long.toString(deleted),
                    "through_seq", Long.toString(through), "anchor_hash", anchor,
                    "previous_first_seq", Long.toString(head.firstSeq())), now);
            return deleted;
        });
    }

    private AuditVerification broken(Head head, long checked, long seq, String problem) {
        return new AuditVerification(false, checked, head.firstSeq(), head.lastSeq(), head.lastHash(), seq, problem);
    }

    /** Reads the head and, on PostgreSQL, locks it until the transaction ends. */
    private Head lockHead(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT first_seq, anchor_hash, last_seq, last_hash FROM audit_head WHERE id = 1"
                        + (sqlite ? "" : " FOR UPDATE"));
             ResultSet rows = select.executeQuery()) {
            return head(rows);
        }
    }

    private static Head readHead(Connection connection) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT first_seq, anchor_hash, last_seq, last_hash FROM audit_head WHERE id = 1");
             ResultSet rows = select.executeQuery()) {
            return head(rows);
        }
    }

    private static Head head(ResultSet rows) throws SQLException {
        if (!rows.next()) {
            throw new SQLException("the audit log's head row is missing; the audit_head table was changed", "02000");
        }
        return new Head(rows.getLong(1), rows.getString(2), rows.getLong(3), rows.getString(4));
    }

    private static AuditEntry read(ResultSet rows) throws SQLException {
        return new AuditEntry(rows.getLong("seq"), Instant.ofEpochMilli(rows.getLong("created_at")),
                rows.getString("actor"), rows.getString("action"), rows.getString("subject"),
                AuditChain.parseDetails(rows.getString("details")), rows.getString("prev_hash"),
                rows.getString("hash"));
    }
}
