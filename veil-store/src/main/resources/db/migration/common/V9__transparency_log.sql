-- The transparency log (docs/transparency.md): one row per leaf of an append-only RFC 9162 Merkle tree of the node
-- identities the gateway admitted and of its own log key. Rows are only ever inserted, never updated or deleted:
-- history that changed would no longer be consistent with the tree heads clients already hold. No user data: an entry
-- names a node (its attested measurement, keys and signed declaration) or the log key, never a request or an API key.
CREATE TABLE transparency_log (
    leaf_index BIGINT PRIMARY KEY,
    leaf_hash  TEXT   NOT NULL UNIQUE,
    entry      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
