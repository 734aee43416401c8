package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store contract on a SQLite file, plus SQLite-specific connection settings. */
class SqliteStoreTest extends StoreContract {

    @TempDir
    Path dir;

    private int databases;

    @Override
    protected StoreSettings freshDatabase() {
        return StoreSettings.sqlite(dir.resolve("nested/dirs/veil-" + ++databases + ".db"));
    }

    @Override
    protected String expectedVendor() {
        return "sqlite";
    }

    @Test
    void connectionsUseWalBusyTimeoutAndForeignKeys() throws Exception {
        try (Connection connection = store.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            assertThat(pragma(statement, "journal_mode")).isEqualToIgnoringCase("wal");
            assertThat(pragma(statement, "busy_timeout")).isEqualTo("5000");
            assertThat(pragma(statement, "foreign_keys")).isEqualTo("1");
        }
    }

    private static String pragma(Statement statement, String name) throws Exception {
        try (ResultSet rows = statement.executeQuery("PRAGMA " + name)) {
            rows.next();
            return rows.getString(1);
        }
    }
}
