-- The audit log of admin actions (docs/privacy.md, "Audit log"): keys created, revoked or given a new policy; nodes
-- admitted, banned or dropped; join tokens issued; configurations loaded. Content-free: who (a fixed actor label), what
-- (a fixed action name), on which subject (a key id, a node name) and a few details (never a secret, never request
-- content). Rows are only appended, and each carries the SHA-256 of the one before it, so an edited, deleted or
-- reordered row is found by 'veil audit verify'. Portable SQL: the same on SQLite and PostgreSQL.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY, -- 1, 2, 3 ... without gaps
    created_at BIGINT NOT NULL,    -- epoch milliseconds, UTC
    actor      TEXT   NOT NULL,    -- admin_api, cli, gateway, store
    action     TEXT   NOT NULL,    -- key.created, key.revoked, ... (AuditAction)
    subject    TEXT   NOT NULL,    -- key id, node name, gateway instance; '' when none
    details    TEXT   NOT NULL,    -- JSON object of string values, keys sorted
    prev_hash  TEXT   NOT NULL,    -- hex SHA-256 of the entry before (anchor_hash for the oldest kept)
    hash       TEXT   NOT NULL     -- hex SHA-256 over prev_hash and this entry (AuditChain)
);

-- The chain's one-row head. Appenders lock it (SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so
-- several gateway instances append to one chain one at a time. first_seq and anchor_hash move when retention purges
-- the oldest entries, so the kept part still verifies.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY, -- always 1
    first_seq   BIGINT NOT NULL,     -- seq of the oldest kept entry (1 until a purge)
    anchor_hash TEXT   NOT NULL,     -- prev_hash the oldest kept entry must carry (64 zeros until a purge)
    last_seq    BIGINT NOT NULL,     -- seq of the newest entry (0 while empty)
    last_hash   TEXT   NOT NULL      -- hash of the newest entry (64 zeros while empty)
);
INSERT INTO audit_head (id, first_seq, anchor_hash, last_seq, last_hash) VALUES
    (1, 1, '0000000000000000000000000000000000000000000000000000000000000000',
     0, '0000000000000000000000000000000000000000000000000000000000000000');
