package dev.veil.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The store contract on an embedded PostgreSQL server, with a new database per test. */
class PostgresStoreTest extends StoreContract {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres postgres;

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = EmbeddedPostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected StoreSettings freshDatabase() throws Exception {
        String name = "veil_test_" + DATABASES.incrementAndGet();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        }
        return new StoreSettings(postgres.getJdbcUrl("postgres", name), "postgres", null, 4);
    }

    @Override
    protected String expectedVendor() {
        return "postgresql";
    }

    /** Several gateway instances starting at once: Flyway's advisory lock lets one migrate, the others wait. */
    @org.junit.jupiter.api.Test
    void severalProcessesMigratingAtOnceApplyEachMigrationOnce() throws Exception {
        StoreSettings settings = freshDatabase();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        try {
            java.util.List<java.util.concurrent.Future<Integer>> runs = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                runs.add(pool.submit(() -> Store.migrate(settings)));
            }
            int applied = 0;
            for (java.util.concurrent.Future<Integer> run : runs) {
                applied += run.get();
            }
            int expected = Store.migrate(settings) == 0 ? countMigrations(settings) : -1;
            assertThat(applied).as("each migration applied by exactly one of the three").isEqualTo(expected);
        } finally {
            pool.shutdown();
        }
    }

    private static int countMigrations(StoreSettings settings) throws Exception {
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(settings.jdbcUrl(), settings.username(),
                settings.password());
             java.sql.ResultSet rows = c.createStatement().executeQuery(
                     "SELECT COUNT(*) FROM flyway_schema_history WHERE success AND version IS NOT NULL")) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
