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
