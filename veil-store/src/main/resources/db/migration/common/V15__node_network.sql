-- The open node network (docs/network.md). Join tokens: what an operator hands a node's operator so that the node may
-- register; only the token's hash is kept. Node registrations: nodes that joined with a token, with the address the
-- gateway reaches them at and the models they may serve. No user data: names, addresses, model ids and times.
CREATE TABLE join_tokens (
    id          TEXT   PRIMARY KEY,
    token_hash  TEXT   NOT NULL UNIQUE,
    label       TEXT,
    models      TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT,
    revoked_at  BIGINT
);

CREATE TABLE node_registrations (
    id         TEXT   PRIMARY KEY,
    token_id   TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    base_url   TEXT   NOT NULL,
    models     TEXT   NOT NULL,
    state      TEXT   NOT NULL,
    joined_at  BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX node_registrations_state ON node_registrations (state);
