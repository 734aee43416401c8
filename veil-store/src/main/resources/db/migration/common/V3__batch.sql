-- Files and batches (OpenAI Files and Batches API). Portable between SQLite and PostgreSQL.
-- No column holds content: file bytes live encrypted under <data_dir>/files/, each file under its own data key, and
-- the data key only wrapped by the operator's master key. File names and batch metadata from the client are stored
-- only encrypted. Every column is listed in docs/privacy.md.

CREATE TABLE batch_files (
    id            TEXT    PRIMARY KEY,
    key_id        TEXT    NOT NULL,
    purpose       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    name_sealed   TEXT    NULL,
    bytes         BIGINT  NOT NULL,
    parts         INTEGER NOT NULL,
    client_sealed INTEGER NOT NULL,
    batch_id      TEXT    NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NULL
);

CREATE INDEX batch_files_key_created ON batch_files (key_id, created_at);
CREATE INDEX batch_files_expires_at ON batch_files (expires_at);

-- One row per file while the file exists: deleting it is what makes the file unreadable (crypto-shredding).
CREATE TABLE batch_file_keys (
    file_id     TEXT   PRIMARY KEY,
    key_ref     TEXT   NOT NULL,
    wrapped_key TEXT   NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE batches (
    id                TEXT    PRIMARY KEY,
    key_id            TEXT    NOT NULL,
    endpoint          TEXT    NOT NULL,
    completion_window TEXT    NOT NULL,
    input_file_id     TEXT    NOT NULL,
    output_file_id    TEXT    NULL,
    error_file_id     TEXT    NULL,
    status            TEXT    NOT NULL,
    metadata_sealed   TEXT    NULL,
    client_public_key TEXT    NULL,
    output_ttl_ms     BIGINT  NOT NULL,
    total             BIGINT  NOT NULL,
    completed         BIGINT  NOT NULL,
    failed            BIGINT  NOT NULL,
    next_line         BIGINT  NOT NULL,
    error_code        TEXT    NULL,
    created_at        BIGINT  NOT NULL,
    in_progress_at    BIGINT  NULL,
    finalizing_at     BIGINT  NULL,
    completed_at      BIGINT  NULL,
    failed_at         BIGINT  NULL,
    expired_at        BIGINT  NULL,
    cancelling_at     BIGINT  NULL,
    cancelled_at      BIGINT  NULL,
    expires_at        BIGINT  NOT NULL
);

CREATE INDEX batches_key_created ON batches (key_id, created_at);
CREATE INDEX batches_status ON batches (status);
