-- Batches across instances (docs/deployment.md). PostgreSQL flavour; sqlite/V16__batch_leases.sql is the same schema.
-- A batch is run by the one instance that holds its lease: lease_owner names the instance (host name, process id and
-- random bits; no client data), lease_until is when the lease lapses unless the holder renews it, and lease_epoch
-- counts the claims (each takeover adds one), for the operator's view and the tests.
ALTER TABLE batches ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE batches ADD COLUMN lease_until BIGINT NULL;
ALTER TABLE batches ADD COLUMN lease_epoch BIGINT NOT NULL DEFAULT 0;

CREATE INDEX batches_lease_until ON batches (lease_until);

-- The shared file store (batch.storage: database): the encrypted parts of batch files, cut into chunks of at most
-- 1 MiB of ciphertext. Only ciphertext is stored here (the same SegmentedAead streams the local store writes under
-- <data_dir>/files/); each file's data key is in batch_file_keys, wrapped by the master key, and deleting that row
-- makes the chunks unreadable (crypto-shredding) before the chunks themselves are deleted.
CREATE TABLE batch_file_chunks (
    file_id TEXT    NOT NULL,
    part    INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    data    BYTEA   NOT NULL,
    PRIMARY KEY (file_id, part, seq)
);
