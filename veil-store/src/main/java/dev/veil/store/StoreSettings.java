package dev.veil.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How to reach the metadata database.
 *
 * <p>Two vendors are supported, chosen by the URL scheme: {@code jdbc:sqlite:} (the default, a single file) and
 * {@code jdbc:postgresql:}. In-memory SQLite is rejected by {@link Store#open}: the pool may recycle its only
 * connection, which would silently discard an in-memory database.
 *
 * @param jdbcUrl     the JDBC URL
 * @param username    the database user; {@code null} for SQLite
 * @param password    the database password; {@code null} for SQLite. Never printed by {@link #toString()}
 * @param maxPoolSize the maximum number of pooled connections for PostgreSQL; SQLite always uses one connection
 */
public record StoreSettings(String jdbcUrl, String username, String password, int maxPoolSize) {

    static final String SQLITE = "sqlite";
    static final String POSTGRESQL = "postgresql";

    /**
     * Validates the settings.
     *
     * @throws NullPointerException     when {@code jdbcUrl} is null
     * @throws IllegalArgumentException when {@code maxPoolSize} is below 1
     */
    public StoreSettings {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize must be at least 1");
        }
    }

    /**
     * Settings for a SQLite database in {@code file}, creating the file's parent directories so a fresh install
     * works without manual setup.
     *
     * @param file the database file; relative paths are resolved against the working directory
     * @throws UncheckedIOException when the parent directories cannot be created
     */
    public static StoreSettings sqlite(Path file) {
        Path absolute = file.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        if (parent != null) {
            try {
                Files.createDirectories(parent);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the directory for the SQLite database", e);
            }
        }
        return new StoreSettings("jdbc:sqlite:" + absolute, null, null, 1);
    }

    /**
     * The vendor named by the URL scheme.
     *
     * @throws IllegalArgumentException when the scheme is neither SQLite nor PostgreSQL
     */
    String vendor() {
        if (jdbcUrl.startsWith("jdbc:sqlite:")) {
            return SQLITE;
        }
        if (jdbcUrl.startsWith("jdbc:postgresql:")) {
            return POSTGRESQL;
        }
        // The URL itself is not echoed: it may carry credentials in its query string.
        throw new IllegalArgumentException("unsupported JDBC URL; expected jdbc:sqlite: or jdbc:postgresql:");
    }

    /** Shows the URL without its query string (which may carry credentials) and never the password. */
    @Override
    public String toString() {
        int query = jdbcUrl.indexOf('?');
        String url = query < 0 ? jdbcUrl : jdbcUrl.substring(0, query) + "?<redacted>";
        return "StoreSettings[jdbcUrl=" + url + ", username=" + username
                + ", password=" + (password == null ? "null" : "<redacted>") + ", maxPoolSize=" + maxPoolSize + "]";
    }
}
