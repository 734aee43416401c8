-- Daily totals kept instead of request_log rows for keys whose request log is 'daily_totals' (metadata minimisation).
-- One row per key, UTC day, endpoint, model, route ('' = none) and status class; no request id, no finer time.
-- SQLite: WITHOUT ROWID, so rows are stored in key order and no hidden insertion counter tells which totals row was
-- started before which. The PostgreSQL migration of the same version creates the same columns. Every column is listed
-- in docs/privacy.md.

CREATE TABLE request_totals (
    key_id            TEXT   NOT NULL,
    day               TEXT   NOT NULL, -- ISO yyyy-MM-dd, UTC
    endpoint          TEXT   NOT NULL,
    model             TEXT   NOT NULL,
    route             TEXT   NOT NULL, -- '' when no route was chosen
    status_class      TEXT   NOT NULL, -- 2xx, 4xx, 5xx, ...
    requests          BIGINT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    total_tokens      BIGINT NOT NULL,
    cost_micros       BIGINT NOT NULL,
    PRIMARY KEY (key_id, day, endpoint, model, route, status_class)
) WITHOUT ROWID;

-- Retention purges by day.
CREATE INDEX request_totals_day ON request_totals (day);
