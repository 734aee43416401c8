package dev.veil.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The audit log on a real SQLite file. */
class SqliteAuditLogTest extends AuditLogContract {

    @TempDir
    Path dir;

    private int databases;

    @Override
    protected StoreSettings freshDatabase() {
        return StoreSettings.sqlite(dir.resolve("audit-" + ++databases + ".db"));
    }
}
