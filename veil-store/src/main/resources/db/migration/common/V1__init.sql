-- Veil metadata schema. Portable between SQLite and PostgreSQL: TEXT, BIGINT and INTEGER only.
-- Timestamps are BIGINT epoch milliseconds (UTC); money is BIGINT cost_micros (millionths of a US dollar).
-- No column may hold prompt or response content or a client IP address; every column is listed in docs/privacy.md.

CREATE TABLE api_keys (
    id          TEXT   PRIMARY KEY,
    name        TEXT   NOT NULL,
    secret_hash TEXT   NOT NULL UNIQUE,
    secret_hint TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT NULL
);

CREATE TABLE request_log (
    request_id        TEXT    PRIMARY KEY,
    key_id            TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    endpoint          TEXT    NOT NULL,
    model             TEXT    NOT NULL,
    route             TEXT    NULL,
    mode              TEXT    NULL,
    status            INTEGER NOT NULL,
    latency_ms        BIGINT  NOT NULL,
    ttft_ms           BIGINT  NULL,
    prompt_tokens     BIGINT  NOT NULL,
    completion_tokens BIGINT  NOT NULL,
    total_tokens      BIGINT  NOT NULL,
    cost_micros       BIGINT  NOT NULL
);

-- Retention purges by created_at; per-key views read newest first.
CREATE INDEX request_log_created_at ON request_log (created_at);
CREATE INDEX request_log_key_created_at ON request_log (key_id, created_at);

CREATE TABLE usage_ledger (
    key_id            TEXT   NOT NULL,
    day               TEXT   NOT NULL, -- ISO yyyy-MM-dd, UTC
    model             TEXT   NOT NULL,
    requests          BIGINT NOT NULL,
    prompt_tokens     BIGINT NOT NULL,
    completion_tokens BIGINT NOT NULL,
    cost_micros       BIGINT NOT NULL,
    PRIMARY KEY (key_id, day, model)
);
