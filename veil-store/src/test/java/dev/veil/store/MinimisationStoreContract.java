package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.protocol.KeyPolicy;
import dev.veil.protocol.RequestLogMode;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Per-key metadata minimisation in the store (coarse time, daily totals only, a key's own retention), run on every
 * vendor through {@link StoreContract}. Reads the tables with plain SQL, as someone holding the database would.
 */
interface MinimisationStoreContract {

    Store store();

    /** Arrival times with milliseconds, seconds and minutes, so any cut shows. */
    Instant FINE = Instant.parse("2026-03-04T05:06:07.891Z");

    static RequestRecord record(String requestId, String keyId, Instant createdAt, int status, RequestLogMode mode) {
        return new RequestRecord(requestId, keyId, createdAt, "chat.completions", "model-a", "route-a", "private",
                status, 123, 45L, 10, 20, 30, 300, mode);
    }

    @Test
    default void coarseTimeRowsKeepNoFinerTimeThanTheirMode() throws Exception {
        try (MeteringWriter writer = new MeteringWriter(store(), 100, 100, Duration.ofMillis(20))) {
            writer.record(record("req-full", "key_full", FINE, 200, RequestLogMode.FULL));
            writer.record(record("req-minute", "key_minute", FINE, 200, RequestLogMode.MINUTE));
            writer.record(record("req-hour", "key_hour", FINE.plusMillis(1), 200, RequestLogMode.HOUR));
            writer.flush();
        }

        assertThat(rawCreatedAt("req-full")).isEqualTo(FINE.toEpochMilli());
        assertThat(Instant.ofEpochMilli(rawCreatedAt("req-minute"))).isEqualTo("2026-03-04T05:06:00Z");
        assertThat(Instant.ofEpochMilli(rawCreatedAt("req-hour"))).isEqualTo("2026-03-04T05:00:00Z");
        assertThat(store().requests().recentForKey("key_hour", 10)).singleElement()
                .satisfies(r -> assertThat(r.latencyMs()).isEqualTo(123));
        // Every request is in the billing ledger whatever its mode.
        LocalDate day = LocalDate.of(2026, 3, 4);
        assertThat(store().ledger().forKey("key_hour", day, day)).singleElement()
                .satisfies(e -> assertThat(e.requests()).isEqualTo(1));
    }

    @Test
    default void sqliteRowPositionsDoNotTellTheArrivalOrderOfCoarseRows() throws Exception {
        if (!store().vendor().equals("sqlite")) {
            return; // PostgreSQL has no rowid; docs/privacy.md says what its row versions show
        }
        List<RequestRecord> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            records.add(record("req-" + i, "key_a", FINE.plusSeconds(i), 200,
                    i % 2 == 0 ? RequestLogMode.FULL : RequestLogMode.HOUR));
        }
        store().requests().insertAll(records);

        List<Long> fullRowids = new ArrayList<>();
        List<Long> coarseRowids = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            long rowid = rawLong("SELECT rowid FROM request_log WHERE request_id = ?", "req-" + i);
            (i % 2 == 0 ? fullRowids : coarseRowids).add(rowid);
        }
        assertThat(fullRowids).isSorted().allSatisfy(r -> assertThat(r).isPositive());
        assertThat(coarseRowids).allSatisfy(r -> assertThat(r).isNegative()).doesNotHaveDuplicates();
        // 20 random positions come out in arrival order with probability 1/20!; a counter would always.
        assertThat(coarseRowids).isNotEqualTo(coarseRowids.stream().sorted().toList())
                .isNotEqualTo(coarseRowids.stream().sorted(java.util.Comparator.reverseOrder()).toList());
    }

    @Test
    default void fullRowsAppendAfterCoarseRowsThatCameFirst() throws Exception {
        if (!store().vendor().equals("sqlite")) {
            return;
        }
        // Coarse rows first, in their own batches: left to SQLite, the next full row would get the largest (negative)
        // rowid plus one and sit among them.
        store().requests().insertAll(List.of(record("req-coarse-1", "key_c", FINE, 200, RequestLogMode.MINUTE)));
        store().requests().insertAll(List.of(record("req-coarse-2", "key_c", FINE, 200, RequestLogMode.HOUR)));
        store().requests().insertAll(List.of(record("req-full-1", "key_f", FINE, 200, RequestLogMode.FULL),
                record("req-full-2", "key_f", FINE.plusSeconds(1), 200, RequestLogMode.FULL)));
        long first = rawLong("SELECT rowid FROM request_log WHERE request_id = ?", "req-full-1");
        long second = rawLong("SELECT rowid FROM request_log WHERE request_id = ?", "req-full-2");
        assertThat(first).isPositive();
        assertThat(second).isGreaterThan(first);
    }

    @Test
    default void dailyTotalsKeepNoRowAndNoRequestIdOnlyTotals() throws Exception {
        try (MeteringWriter writer = new MeteringWriter(store(), 100, 100, Duration.ofMillis(20))) {
            writer.record(record("req-totals-one", "key_t", FINE, 200, RequestLogMode.DAILY_TOTALS));
            writer.record(record("req-totals-two", "key_t", FINE.plusSeconds(60), 201, RequestLogMode.DAILY_TOTALS));
            writer.record(record("req-totals-three", "key_t", FINE.plusSeconds(120), 503, RequestLogMode.DAILY_TOTALS));
            writer.record(new RequestRecord("req-totals-four", "key_t", FINE, "embeddings", "unknown", null, null, 400,
                    3, null, 0, 0, 0, 0, RequestLogMode.DAILY_TOTALS));
            writer.flush();
        }
        LocalDate day = LocalDate.of(2026, 3, 4);

        assertThat(store().requests().count()).isZero();
        assertThat(store().requests().totals().forKey("key_t", day, day)).containsExactly(
                new RequestTotal("key_t", day, "chat.completions", "model-a", "route-a", "2xx", 2, 20, 40, 60, 600),
                new RequestTotal("key_t", day, "chat.completions", "model-a", "route-a", "5xx", 1, 10, 20, 30, 300),
                new RequestTotal("key_t", day, "embeddings", "unknown", null, "4xx", 1, 0, 0, 0, 0));
        assertThat(store().ledger().forKey("key_t", day, day)).extracting(LedgerEntry::requests).containsExactly(3L, 1L);
        assertThat(everyStoredValue()).noneMatch(v -> v.contains("req-totals"))
                .noneMatch(v -> v.equals(Long.toString(FINE.toEpochMilli())));
    }

    @Test
    default void aKeysOwnRetentionPurgesItsRowsAndTotalsBeforeTheGlobalOne() {
        IssuedKey shortLived = ApiKeyIssuer.issue("short", KeyPolicy.UNRESTRICTED.withRequestLog(null, 2), FINE);
        IssuedKey totalsOnly = ApiKeyIssuer.issue("totals",
                KeyPolicy.UNRESTRICTED.withRequestLog(RequestLogMode.DAILY_TOTALS, 1), FINE);
        IssuedKey longer = ApiKeyIssuer.issue("longer", KeyPolicy.UNRESTRICTED.withRequestLog(null, 90), FINE);
        IssuedKey plain = ApiKeyIssuer.issue("plain", FINE);
        for (IssuedKey k : List.of(shortLived, totalsOnly, longer, plain)) {
            store().apiKeys().insert(k.record());
        }
        Instant now = FINE.plus(40, ChronoUnit.DAYS);
        String s = shortLived.record().id();
        String t = totalsOnly.record().id();
        String l = longer.record().id();
        String p = plain.record().id();
        List<RequestRecord> records = List.of(
                record("s-3d", s, now.minus(3, ChronoUnit.DAYS), 200, RequestLogMode.HOUR),
                record("s-1d", s, now.minus(1, ChronoUnit.DAYS), 200, RequestLogMode.FULL),
                record("t-2d", t, now.minus(2, ChronoUnit.DAYS), 200, RequestLogMode.DAILY_TOTALS),
                record("t-now", t, now, 200, RequestLogMode.DAILY_TOTALS),
                record("l-31d", l, now.minus(31, ChronoUnit.DAYS), 200, RequestLogMode.FULL),
                record("l-29d", l, now.minus(29, ChronoUnit.DAYS), 200, RequestLogMode.FULL),
                record("p-3d", p, now.minus(3, ChronoUnit.DAYS), 200, RequestLogMode.FULL),
                record("p-31d", p, now.minus(31, ChronoUnit.DAYS), 200, RequestLogMode.FULL));
        try (MeteringWriter writer = new MeteringWriter(store(), 100, 100, Duration.ofMillis(20))) {
            records.forEach(writer::record);
            writer.flush();
        }
        LocalDate from = LocalDate.ofInstant(now.minus(60, ChronoUnit.DAYS), ZoneOffset.UTC);
        LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
        assertThat(store().requests().totals().forKey(t, from, today)).hasSize(2);

        int deleted = RetentionPurger.purge(store(), Duration.ofDays(30), Clock.fixed(now, ZoneOffset.UTC));

        assertThat(ids(s)).containsExactly("s-1d");
        assertThat(ids(p)).containsExactly("p-3d");
        assertThat(ids(l)).as("a key's retention never extends the global one").containsExactly("l-29d");
        assertThat(store().requests().totals().forKey(t, from, today)).singleElement()
                .satisfies(total -> assertThat(total.day()).isEqualTo(today));
        assertThat(deleted).isEqualTo(4);
        assertThat(store().ledger().forKey(t, from, today)).as("billing totals are kept").hasSize(2);
    }

    private List<String> ids(String keyId) {
        return store().requests().recentForKey(keyId, 10).stream().map(RequestRecord::requestId).toList();
    }

    private long rawCreatedAt(String requestId) throws Exception {
        return rawLong("SELECT created_at FROM request_log WHERE request_id = ?", requestId);
    }

    private long rawLong(String sql, String requestId) throws Exception {
        try (Connection connection = store().dataSource().getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, requestId);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).as("row of %s", requestId).isTrue();
                return rows.getLong(1);
            }
        }
    }

    /** Every value of every column of every table, as text. */
    private List<String> everyStoredValue() throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection connection = store().dataSource().getConnection()) {
            DatabaseMetaData meta = connection.getMetaData();
            List<String> tables = new ArrayList<>();
            try (ResultSet rows = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rows.next()) {
                    String schema = rows.getString("TABLE_SCHEM");
                    if (schema == null || schema.equals("public")) {
                        tables.add(rows.getString("TABLE_NAME"));
                    }
                }
            }
            assertThat(tables).contains("request_log", "request_totals", "usage_ledger");
            for (String table : tables) {
                try (PreparedStatement statement = connection.prepareStatement("SELECT * FROM " + table);
                     ResultSet rows = statement.executeQuery()) {
                    int columns = rows.getMetaData().getColumnCount();
                    while (rows.next()) {
                        for (int c = 1; c <= columns; c++) {
                            values.add(String.valueOf(rows.getString(c)));
                        }
                    }
                }
            }
        }
        return values;
    }
}
