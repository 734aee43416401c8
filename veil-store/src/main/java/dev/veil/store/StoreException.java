package dev.veil.store;

import java.sql.SQLException;

/**
 * A database operation failed.
 *
 * <p>Driver messages routinely quote row values (PostgreSQL's "Key (secret_hash)=(...) already exists", for one), so
 * neither this exception nor its cause carries the driver's message: the cause is a stand-in that keeps only the
 * driver exception's class name, SQLState, vendor code and stack trace.
 */
public final class StoreException extends RuntimeException {

    private final String driverExceptionClass;
    private final String sqlState;
    private final int vendorCode;

    /**
     * @param operation what was attempted, e.g. {@code "insert api key"}; must not contain row values other than ids
     * @param cause     the driver's exception; only its class name, SQLState, vendor code and stack trace are kept
     */
    public StoreException(String operation, SQLException cause) {
        super(operation + " failed (" + cause.getClass().getSimpleName() + ", SQLState " + cause.getSQLState() + ")",
                sanitized(cause));
        this.driverExceptionClass = cause.getClass().getName();
        this.sqlState = cause.getSQLState();
        this.vendorCode = cause.getErrorCode();
    }

    /** The fully qualified class name of the driver's exception, safe to log. */
    public String driverExceptionClass() {
        return driverExceptionClass;
    }

    /** The SQLState the driver reported; may be {@code null} (SQLite often reports none). */
    public String sqlState() {
        return sqlState;
    }

    /** The vendor-specific error code the driver reported. */
    public int vendorCode() {
        return vendorCode;
    }

    /** True when the failure was an integrity constraint violation, such as a duplicate primary key. */
    public boolean constraintViolation() {
        // SQLState class 23 is standard (PostgreSQL); sqlite-jdbc reports no SQLState but vendor code 19 (SQLITE_CONSTRAINT).
        return (sqlState != null && sqlState.startsWith("23")) || (sqlState == null && vendorCode == 19);
    }

    private static SQLException sanitized(SQLException cause) {
        SQLException copy = new SQLException(cause.getClass().getName() + " (driver message withheld)",
                cause.getSQLState(), cause.getErrorCode());
        copy.setStackTrace(cause.getStackTrace());
        return copy;
    }
}
