package dev.veil.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs periodic jobs (the batch sweep, retention purges) on one instance at a time. On PostgreSQL a job runs only
 * while its instance holds a session advisory lock named after the job ({@code pg_try_advisory_lock}, on a connection
 * kept for the job's run): an instance that finds the lock taken skips this round, and a killed instance's lock goes
 * with its connection. SQLite serves one process, so a job there simply runs. Blocking; run on a worker thread.
 */
public final class ExclusiveJobs {

    private static final Logger LOG = LoggerFactory.getLogger(ExclusiveJobs.class);
    /** The first key of Veil's advisory locks ("veil" in ASCII); the second is the job's. */
    static final int NAMESPACE = 0x7665696c;

    private final DataSource dataSource;
    private final boolean postgres;

    ExclusiveJobs(DataSource dataSource, String vendor) {
        this.dataSource = dataSource;
        this.postgres = StoreSettings.POSTGRESQL.equals(vendor);
    }

    /**
     * Runs {@code work} unless another instance is running the job {@code job} right now.
     *
     * @return the work's result; empty when another instance holds the job (nothing ran here)
     */
    public <T> Optional<T> runAlone(String job, Supplier<T> work) {
        if (!postgres) {
            return Optional.ofNullable(work.get());
        }
        try (Connection connection = dataSource.getConnection()) {
            if (!lock(connection, "SELECT pg_try_advisory_lock(?, ?)", job)) {
                LOG.debug("{} skipped: another instance is running it", job);
                return Optional.empty();
            }
            try {
                return Optional.ofNullable(work.get());
            } finally {
                lock(connection, "SELECT pg_advisory_unlock(?, ?)", job);
            }
        } catch (SQLException e) {
            throw new StoreException("lock " + job, e);
        }
    }

    /** The job's lock key: a stable hash of its name. */
    static int key(String job) {
        return job.hashCode();
    }

    private static boolean lock(Connection connection, String sql, String job) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setInt(1, NAMESPACE);
            s.setInt(2, key(job));
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        }
    }
}
