-- One row per shredded file, so that deleting a file that Veil already shredded (its batch ended, it expired)
-- answers as the successful delete it is, with the receipt of that shredding. Metadata only: no name, no content,
-- no key material (key_ref is the random id of the destroyed key, which the receipt names by its SHA-256).
-- Kept 30 days after the shredding (docs/privacy.md).
CREATE TABLE batch_file_shreds (
    file_id    TEXT   PRIMARY KEY,
    key_id     TEXT   NOT NULL,
    key_ref    TEXT   NOT NULL,
    deleted_at BIGINT NOT NULL
);

CREATE INDEX batch_file_shreds_deleted_at ON batch_file_shreds (deleted_at);
