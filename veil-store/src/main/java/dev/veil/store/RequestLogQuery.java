package dev.veil.store;

import java.time.Instant;
import java.util.Objects;

/**
 * What the operator's view of the request log asks for; a {@code null} field does not filter.
 *
 * @param keyId       only this key's rows
 * @param model       only this public model id
 * @param route       only this route name
 * @param status      only this HTTP status
 * @param statusClass only this class of status, 1 to 5 ({@code 4} = 4xx)
 * @param from        rows created at or after this time
 * @param to          rows created before this time
 */
public record RequestLogQuery(String keyId, String model, String route, Integer status, Integer statusClass,
                              Instant from, Instant to) {

    public RequestLogQuery {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }

    /** Appends the WHERE clause (without the keyword) for this query to {@code sql}; binds in {@link #bind}. */
    void where(StringBuilder sql) {
        sql.append("created_at >= ? AND created_at < ?");
        if (keyId != null) {
            sql.append(" AND key_id = ?");
        }
        if (model != null) {
            sql.append(" AND model = ?");
        }
        if (route != null) {
            sql.append(" AND route = ?");
        }
        if (status != null) {
            sql.append(" AND status = ?");
        }
        if (statusClass != null) {
            sql.append(" AND status >= ? AND status < ?");
        }
    }

    /** Binds the parameters of {@link #where} from index {@code first}; returns the next free index. */
    int bind(java.sql.PreparedStatement statement, int first) throws java.sql.SQLException {
        int i = first;
        statement.setLong(i++, Jdbc.millis(from));
        statement.setLong(i++, Jdbc.millis(to));
        if (keyId != null) {
            statement.setString(i++, keyId);
        }
        if (model != null) {
            statement.setString(i++, model);
        }
        if (route != null) {
            statement.setString(i++, route);
        }
        if (status != null) {
            statement.setInt(i++, status);
        }
        if (statusClass != null) {
            statement.setInt(i++, statusClass * 100);
            statement.setInt(i++, statusClass * 100 + 100);
        }
        return i;
    }
}
