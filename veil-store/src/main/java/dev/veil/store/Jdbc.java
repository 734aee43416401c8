package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import javax.sql.DataSource;

/** Small JDBC helpers shared by the repositories. Timestamps are stored as epoch milliseconds. */
final class Jdbc {

    private Jdbc() {
    }

    /** Work done with a borrowed connection. */
    @FunctionalInterface
    interface ConnectionWork<T> {
        T apply(Connection connection) throws SQLException;
    }

    /** Runs {@code work} on a pooled connection in auto-commit mode, turning driver errors into {@link StoreException}. */
    static <T> T withConnection(DataSource dataSource, String operation, ConnectionWork<T> work) {
        try (Connection connection = dataSource.getConnection()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new StoreException(operation, e);
        }
    }

    /** Runs {@code work} in one transaction, rolling back on any failure. */
    static <T> T inTransaction(DataSource dataSource, String operation, ConnectionWork<T> work) {
        return withConnection(dataSource, operation, connection -> inTransaction(connection, work));
    }

    /** Runs {@code work} in one transaction on {@code connection}, rolling back on any failure. */
    static <T> T inTransaction(Connection connection, ConnectionWork<T> work) throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            T result = work.apply(connection);
            connection.commit();
            return result;
        } catch (SQLException | RuntimeException | Error e) {
            rollbackQuietly(connection, e);
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    /**
     * Runs {@code work} in one write transaction that other processes on the same database cannot interleave with: on
     * SQLite it starts with {@code BEGIN IMMEDIATE}, taking the database's write lock at once (a deferred transaction
     * that reads first may fail to upgrade its lock when another process wrote meanwhile); on PostgreSQL it is an
     * ordinary transaction, and {@code work} locks the rows it must serialise on ({@code SELECT ... FOR UPDATE}).
     */
    static <T> T inWriteTransaction(DataSource dataSource, boolean sqlite, String operation, ConnectionWork<T> work) {
        if (!sqlite) {
            return inTransaction(dataSource, operation, work);
        }
        return withConnection(dataSource, operation, connection -> {
            // sqlite-jdbc begins a deferred transaction on setAutoCommit(false); statements in auto-commit mode are
            // passed through, so the immediate transaction is begun and ended by hand.
            if (!connection.getAutoCommit()) {
                throw new SQLException("a write transaction cannot start inside another transaction");
            }
            execute(connection, "BEGIN IMMEDIATE");
            try {
                T result = work.apply(connection);
                execute(connection, "COMMIT");
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    execute(connection, "ROLLBACK");
                } catch (SQLException rollbackFailure) {
                    e.addSuppressed(new SQLException("rollback failed", rollbackFailure.getSQLState()));
                }
                throw e;
            }
        });
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (java.sql.Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void rollbackQuietly(Connection connection, Throwable primary) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            primary.addSuppressed(new SQLException("rollback failed", rollbackFailure.getSQLState()));
        }
    }

    static long millis(Instant instant) {
        return instant.toEpochMilli();
    }

    static Instant instant(long millis) {
        return Instant.ofEpochMilli(millis);
    }

    static void setNullableLong(PreparedStatement statement, int index, Long value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.BIGINT);
        } else {
            statement.setLong(index, value);
        }
    }

    static Long getNullableLong(ResultSet rows, String column) throws SQLException {
        long value = rows.getLong(column);
        return rows.wasNull() ? null : value;
    }

    static Instant getNullableInstant(ResultSet rows, String column) throws SQLException {
        Long millis = getNullableLong(rows, column);
        return millis == null ? null : instant(millis);
    }
}
