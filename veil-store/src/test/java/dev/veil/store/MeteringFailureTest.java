package dev.veil.store;

import static dev.veil.store.TestData.request;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * How the metering writer behaves when the database rejects writes. Failures are injected with SQLite triggers that
 * abort while a switch row is set; the abort message and the row values act as canaries that must never reach a log.
 */
class MeteringFailureTest {

    private static final String CANARY = "CANARY-DRIVER-MESSAGE";
    private static final String MODEL = "canary-model-name";
    private static final Instant T0 = Instant.parse("2025-03-01T12:00:00Z");

    @TempDir
    Path dir;

    private Store store;
    private ListAppender<ILoggingEvent> logs;
    private Logger logger;

    @BeforeEach
    void setUp() throws Exception {
        store = Store.open(StoreSettings.sqlite(dir.resolve("veil.db")));
        execute("CREATE TABLE fail_switch (table_name TEXT PRIMARY KEY)");
        for (String table : List.of("request_log", "usage_ledger")) {
            execute("CREATE TRIGGER fail_" + table + " BEFORE INSERT ON " + table
                    + " WHEN EXISTS (SELECT 1 FROM fail_switch WHERE table_name = '" + table + "')"
                    + " BEGIN SELECT RAISE(ABORT, '" + CANARY + "'); END");
        }
        logger = (Logger) LoggerFactory.getLogger(MeteringWriter.class);
        logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
    }

    @AfterEach
    void tearDown() {
        logger.detachAppender(logs);
        store.close();
    }

    @Test
    void retriesOnTheNextTickAfterATransientFailure() throws Exception {
        failInsertsInto("request_log");
        try (MeteringWriter writer = new MeteringWriter(store, 100, 10, Duration.ofMillis(200))) {
            writer.record(request("req-1", "key_a", T0, MODEL, 1, 2, 3));
            awaitWarnings(1);
            execute("DELETE FROM fail_switch");

            writer.flush();

            assertThat(writer.writtenCount()).isEqualTo(1);
            assertThat(writer.droppedCount()).isZero();
        }
        assertThat(store.requests().count()).isEqualTo(1);
        assertThat(store.ledger().forKey("key_a", LocalDate.of(2025, 3, 1), LocalDate.of(2025, 3, 1)))
                .containsExactly(new LedgerEntry("key_a", LocalDate.of(2025, 3, 1), MODEL, 1, 1, 2, 3));
        assertLogsHoldNoValues();
    }

    @Test
    void dropsTheBatchAfterFiveFailuresThenRecovers() throws Exception {
        failInsertsInto("request_log");
        try (MeteringWriter writer = new MeteringWriter(store, 100, 10, Duration.ofMillis(10))) {
            for (int i = 0; i < 3; i++) {
                writer.record(request("req-" + i, "key_a", T0, MODEL, 1, 2, 3));
            }
            writer.flush();

            assertThat(writer.droppedCount()).isEqualTo(3);
            assertThat(writer.writtenCount()).isZero();
            assertThat(warnings()).hasSize(MeteringWriter.MAX_ATTEMPTS + 1);

            execute("DELETE FROM fail_switch");
            writer.record(request("req-after", "key_a", T0, MODEL, 1, 2, 3));
            writer.flush();
            assertThat(writer.writtenCount()).isEqualTo(1);
        }
        assertThat(store.requests().count()).isEqualTo(1);
        assertLogsHoldNoValues();
    }

    @Test
    void aLedgerFailureRollsBackTheRequestRowsToo() throws Exception {
        failInsertsInto("usage_ledger");
        try (MeteringWriter writer = new MeteringWriter(store, 100, 10, Duration.ofMillis(10))) {
            writer.record(request("req-1", "key_a", T0, MODEL, 1, 2, 3));
            writer.flush();
            assertThat(writer.droppedCount()).isEqualTo(1);
        }
        assertThat(store.requests().count()).isZero();
        assertLogsHoldNoValues();
    }

    @Test
    void connectionFailuresAreToldApartFromRefusedWrites() {
        assertThat(MeteringWriter.unreachable("08001", "org.postgresql.util.PSQLException")).isTrue();
        assertThat(MeteringWriter.unreachable("08006", null)).isTrue();
        assertThat(MeteringWriter.unreachable("57P01", "org.postgresql.util.PSQLException")).isTrue();
        assertThat(MeteringWriter.unreachable(null, "java.sql.SQLTransientConnectionException")).isTrue();
        assertThat(MeteringWriter.unreachable("23505", "org.postgresql.util.PSQLException")).isFalse();
        assertThat(MeteringWriter.unreachable("42P01", "org.postgresql.util.PSQLException")).isFalse();
        assertThat(MeteringWriter.unreachable(null, "org.sqlite.SQLiteException")).isFalse();
    }

    private void assertLogsHoldNoValues() {
        List<String> lines = warnings();
        assertThat(lines).isNotEmpty();
        assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain(CANARY, MODEL, "key_a", "req-"));
        synchronized (logs) {
            assertThat(logs.list).allSatisfy(event -> assertThat(event.getThrowableProxy()).isNull());
        }
    }

    private List<String> warnings() {
        synchronized (logs) { // ListAppender appends under its own monitor
            return logs.list.stream().filter(e -> e.getLevel() == Level.WARN)
                    .map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private void awaitWarnings(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (warnings().size() < count) {
            assertThat(System.nanoTime()).as("waiting for a failed write").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private void failInsertsInto(String table) throws Exception {
        execute("INSERT INTO fail_switch (table_name) VALUES ('" + table + "')");
    }

    private void execute(String sql) throws Exception {
        try (Connection connection = store.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }
}
